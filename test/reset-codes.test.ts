import { createSecretKey } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import fc from 'fast-check'
import fastifyRateLimit from '@fastify/rate-limit'
import { verifyPassword, type ResetPasswordUser } from '../lib/index.js'
import { deriveCode } from '../lib/codes/derive.js'
import { resolveCodes } from '../lib/codes/options.js'
import { STAND_IN } from '../lib/mail/link-requests.js'
import { loginKey } from '../lib/rate-limit.js'
import { buildApp, NEW_PASSWORD, OLD_PASSWORD, SECRET } from './helpers/app.js'
import { dialects } from './helpers/db.js'
import { userNamed } from './helpers/links.js'
import { codeFrom, mailedCode, resetWithCode, wrongCode } from './helpers/codes.js'
import { openRedis } from './helpers/redis.js'

const INVALID_CODE = { statusCode: 400, code: 'FST_RESET_PASSWORD_INVALID_CODE', error: 'Bad Request', message: 'Invalid or expired code' }
const PERIOD_MS = 900_000

for (const dialect of dialects) {
  t.test(`${dialect}: a mailed code resets the password once, and the new password verifies`, async (t) => {
    const h = await buildApp(t, { dialect, plugin: { codes: true } })
    if (h === null) return
    const user = await userNamed(h, 'alice')
    const reset: ResetPasswordUser[] = []
    h.app.resetPassword.on('passwordReset', ({ user }) => { reset.push(user) })
    const code = await mailedCode(h, 'alice')
    t.equal(code.length, 8, 'eight digits by default')
    const res = await resetWithCode(h, 'alice', code, NEW_PASSWORD)
    t.equal(res.statusCode, 200)
    t.same(res.json(), { detail: 'Reset password successful' })
    t.equal(res.headers['cache-control'], 'no-store')
    t.ok(await verifyPassword(NEW_PASSWORD, await h.hashOf(user.id)))
    t.same(reset.map((u) => u.id), [user.id], 'passwordReset is emitted')
    const [, notice] = await h.sink.waitForMails(2)
    t.equal(notice?.subject, 'Your password was changed')
    t.same((await resetWithCode(h, 'alice', code, `${NEW_PASSWORD}2`)).json(), INVALID_CODE, 'a used code fails')
  })
}

t.test('the code mail shows the code on its own line and when it expires; codeCreated carries it', async (t) => {
  const h = await buildApp(t, { plugin: { codes: { digits: 6 } } })
  if (h === null) return
  await userNamed(h, 'alice')
  const created: Array<{ code: string, expiresAt: Date }> = []
  h.app.resetPassword.on('codeCreated', ({ code, expiresAt }) => { created.push({ code, expiresAt }) })
  const code = await mailedCode(h, 'alice')
  const [mail] = h.sink.mails
  t.equal(mail?.subject, 'Your password reset code')
  t.match(mail?.text, `\n\n${code}\n\n`)
  t.match(mail?.html, `<strong>${code}</strong>`)
  // The clock stands at the start of a period: the code works for that period and the next.
  t.match(mail?.text, `The code expires at ${new Date(h.clock.now + 2 * PERIOD_MS).toISOString()}.`)
  t.same(created, [{ code, expiresAt: new Date(h.clock.now + 2 * PERIOD_MS) }])
})

t.test('mail.codeTemplate replaces the code mail', async (t) => {
  const h = await buildApp(t, {
    plugin: {
      codes: true,
      mail: {
        from: 'no-reply@example.com',
        replyTo: 'help@example.com',
        locale: (request) => request.headers['accept-language'],
        codeTemplate: ({ code, locale }) => ({ subject: 'Your password reset code', text: `${String(locale)}\n${code}\n`, html: `<p>${code}</p>` })
      }
    }
  })
  if (h === null) return
  await userNamed(h, 'alice')
  await h.post('send-reset-password-code', { login: 'alice' }, { 'accept-language': 'fr' })
  const [mail] = await h.sink.waitForMails(1)
  const code = codeFrom(mail!)
  t.equal(mail?.text, `fr\n${code}\n`, 'the template has the locale of the request')
  t.equal(mail?.headers.get('reply-to') === undefined, false)
  t.equal((await h.post('reset-password-with-code', { login: 'alice', code, password: NEW_PASSWORD }, { 'accept-language': 'fr' })).statusCode, 200)
})

t.test('send-reset-password-code answers the same for an unknown login and mails nothing', async (t) => {
  const h = await buildApp(t, { plugin: { codes: true } })
  if (h === null) return
  await userNamed(h, 'alice')
  const created: string[] = []
  h.app.resetPassword.on('codeCreated', ({ user }) => { created.push(user.id) })
  const known = await h.post('send-reset-password-code', { login: 'alice' })
  const unknown = await h.post('send-reset-password-code', { login: 'nobody' })
  t.equal(unknown.statusCode, 200)
  t.same(unknown.json(), known.json())
  t.same(known.json(), { detail: 'If the login belongs to an account, a reset code was sent to its e-mail address' })
  await h.sink.waitForMails(1)
  await h.app.close()
  t.equal(h.sink.mails.length, 1, 'only alice got a mail')
  t.equal(created.length, 1)
})

t.test('with failWhenUserNotFound an unknown login gets 400 from the code route too', async (t) => {
  const h = await buildApp(t, { plugin: { codes: true, failWhenUserNotFound: true } })
  if (h === null) return
  const res = await h.post('send-reset-password-code', { login: 'nobody' })
  t.equal(res.json().code, 'FST_RESET_PASSWORD_USER_NOT_FOUND')
})

t.test('a wrong code and any code for an unknown login give one and the same 400', async (t) => {
  const h = await buildApp(t, { plugin: { codes: true } })
  if (h === null) return
  await userNamed(h, 'alice')
  const code = await mailedCode(h, 'alice')
  const wrong = await resetWithCode(h, 'alice', wrongCode(code), NEW_PASSWORD)
  const unknown = await resetWithCode(h, 'nobody', code, NEW_PASSWORD)
  const notDigits = await resetWithCode(h, 'alice', 'not-a-code', NEW_PASSWORD)
  t.same(wrong.json(), INVALID_CODE)
  t.same(unknown.json(), INVALID_CODE)
  t.same(notDigits.json(), INVALID_CODE)
  t.same(unknown.headers, { ...wrong.headers, date: unknown.headers.date })
  t.equal((await resetWithCode(h, 'alice', `${code.slice(0, 4)} ${code.slice(4)}`, NEW_PASSWORD)).statusCode, 200, 'a space between groups is ignored')
})

t.test('a code works only after it was asked for: the right code unasked is refused', async (t) => {
  // Two instances on one database without a shared store: the mark lives in the instance that mailed.
  const h = await buildApp(t, { plugin: { codes: true } })
  if (h === null) return
  await userNamed(h, 'alice')
  const code = await mailedCode(h, 'alice')
  const other = await buildApp(t, { plugin: { codes: true, users: h.app.resetPassword.users } })
  if (other === null) return
  t.same((await resetWithCode(other, 'alice', code, NEW_PASSWORD)).json(), INVALID_CODE)
  t.equal((await resetWithCode(h, 'alice', code, NEW_PASSWORD)).statusCode, 200)
})

t.test('a code sent at the end of a period works in the next one and expires after it', async (t) => {
  const h = await buildApp(t, { plugin: { codes: true } })
  if (h === null) return
  await userNamed(h, 'alice')
  h.clock.now += PERIOD_MS - 1000
  const code = await mailedCode(h, 'alice')
  h.clock.now += 2 * PERIOD_MS - 1000
  t.same((await resetWithCode(h, 'alice', code, NEW_PASSWORD)).json(), INVALID_CODE, 'two periods on it has expired')
  h.clock.now -= PERIOD_MS
  t.equal((await resetWithCode(h, 'alice', code, NEW_PASSWORD)).statusCode, 200, 'one period on it still works')
})

t.test('a newer code replaces the one of the previous period', async (t) => {
  const h = await buildApp(t, { plugin: { codes: true } })
  if (h === null) return
  await userNamed(h, 'alice')
  const older = await mailedCode(h, 'alice')
  h.clock.now += PERIOD_MS
  const newer = await mailedCode(h, 'alice')
  t.not(newer, older)
  t.same((await resetWithCode(h, 'alice', older, NEW_PASSWORD)).json(), INVALID_CODE)
  t.equal((await resetWithCode(h, 'alice', newer, NEW_PASSWORD)).statusCode, 200)
})

t.test('after maxAttempts wrong codes every code is refused until the next period', async (t) => {
  const h = await buildApp(t, { plugin: { codes: { maxAttempts: 3 } } })
  if (h === null) return
  await userNamed(h, 'alice')
  await userNamed(h, 'bob')
  const code = await mailedCode(h, 'alice')
  const bobs = await mailedCode(h, 'bob')
  for (let i = 0; i < 3; i++) t.same((await resetWithCode(h, 'alice', wrongCode(code), NEW_PASSWORD)).json(), INVALID_CODE)
  t.same((await resetWithCode(h, 'alice', code, NEW_PASSWORD)).json(), INVALID_CODE, 'the right code is refused now')
  t.equal((await resetWithCode(h, 'bob', bobs, NEW_PASSWORD)).statusCode, 200, 'another account is not locked')
  h.clock.now += PERIOD_MS
  t.equal((await resetWithCode(h, 'alice', code, NEW_PASSWORD)).statusCode, 200, 'in the next period the code works again')
})

t.test('a code stops working when the password or the e-mail address changes', async (t) => {
  const h = await buildApp(t, { plugin: { codes: true } })
  if (h === null) return
  const alice = await userNamed(h, 'alice')
  const bob = await userNamed(h, 'bob')
  const code = await mailedCode(h, 'alice')
  const bobs = await mailedCode(h, 'bob')
  await h.app.resetPassword.users.replacePasswordHash(alice.id, await h.hashOf(alice.id), await h.hashOf(bob.id))
  t.same((await resetWithCode(h, 'alice', code, NEW_PASSWORD)).json(), INVALID_CODE)
  await (h.db as any).updateTable(h.table).set({ email: 'bob.new@example.com' }).where('id', '=', Number(bob.id)).execute()
  t.same((await resetWithCode(h, 'bob', bobs, NEW_PASSWORD)).json(), INVALID_CODE)
  t.same((await resetWithCode(h, 'alice', bobs, NEW_PASSWORD)).json(), INVALID_CODE, 'another account\'s code')
})

t.test('the password policy and password_confirm apply as on the link route', async (t) => {
  const h = await buildApp(t, { plugin: { codes: true, passwordConfirm: true } })
  if (h === null) return
  await userNamed(h, 'alice')
  const code = await mailedCode(h, 'alice')
  const short = await h.post('reset-password-with-code', { login: 'alice', code, password: 'short', password_confirm: 'short' })
  t.equal(short.json().code, 'FST_RESET_PASSWORD_INVALID_PASSWORD')
  const mismatch = await h.post('reset-password-with-code', { login: 'alice', code, password: NEW_PASSWORD, password_confirm: 'other' })
  t.equal(mismatch.json().code, 'FST_RESET_PASSWORD_PASSWORD_MISMATCH')
  const missing = await h.post('reset-password-with-code', { login: 'alice', code, password: NEW_PASSWORD })
  t.equal(missing.json().code, 'FST_ERR_VALIDATION')
  t.equal((await h.post('reset-password-with-code', { login: 'alice', code, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD })).statusCode, 200)
})

t.test('of two resets with one code at once, exactly one succeeds', async (t) => {
  const h = await buildApp(t, { plugin: { codes: true } })
  if (h === null) return
  const alice = await userNamed(h, 'alice')
  const code = await mailedCode(h, 'alice')
  const results = await Promise.all([1, 2, 3, 4].map(async (i) => await resetWithCode(h, 'alice', code, `${NEW_PASSWORD}${i}`)))
  t.same(results.map((r) => r.statusCode).sort(), [200, 400, 400, 400])
  for (const res of results.filter((r) => r.statusCode === 400)) t.same(res.json(), INVALID_CODE)
  t.notOk(await verifyPassword(OLD_PASSWORD, await h.hashOf(alice.id)))
})

t.test('a login that finds two accounts takes the code of either', async (t) => {
  const h = await buildApp(t, { plugin: { codes: true } })
  if (h === null) return
  // Two accounts with one e-mail address: the login finds both, and each gets its own code.
  const first = await h.addUser({ username: 'carol', email: 'carol@example.com' })
  const second = await h.addUser({ username: 'carol2', email: 'carol@example.com' })
  await h.post('send-reset-password-code', { login: 'carol@example.com' })
  const codes = (await h.sink.waitForMails(2)).map(codeFrom)
  t.not(codes[0], codes[1])
  for (const code of codes) t.equal((await resetWithCode(h, 'carol@example.com', code, NEW_PASSWORD)).statusCode, 200)
  t.ok(await verifyPassword(NEW_PASSWORD, await h.hashOf(first.id)))
  t.ok(await verifyPassword(NEW_PASSWORD, await h.hashOf(second.id)))
})

t.test('across all accounts, tries at live codes beyond the budget of a period are refused', async (t) => {
  // Six digits: a budget of 10^6 / 20,000 = 50 tries a period, whatever maxAttempts allows one account.
  const h = await buildApp(t, { plugin: { codes: { digits: 6, maxAttempts: 1000 } } })
  if (h === null) return
  await userNamed(h, 'alice')
  const code = await mailedCode(h, 'alice')
  for (let i = 0; i < 50; i++) await resetWithCode(h, 'alice', wrongCode(code), NEW_PASSWORD)
  t.same((await resetWithCode(h, 'alice', code, NEW_PASSWORD)).json(), INVALID_CODE)
  h.clock.now += PERIOD_MS
  t.equal((await resetWithCode(h, 'alice', code, NEW_PASSWORD)).statusCode, 200)
})

t.test('the code route is limited per (login, IP) and shares the per-IP limit of reset-password', async (t) => {
  const h = await buildApp(t, { plugin: { codes: true, rateLimit: { resetPassword: { perIp: { max: 4, timeWindow: 60_000 }, perUser: { max: 2, timeWindow: 60_000 } } } } })
  if (h === null) return
  for (let i = 0; i < 2; i++) t.equal((await resetWithCode(h, 'alice', '12345678', NEW_PASSWORD)).statusCode, 400)
  t.equal((await resetWithCode(h, 'alice', '12345678', NEW_PASSWORD)).statusCode, 429, 'per (login, IP)')
  t.equal((await resetWithCode(h, 'alice', '12345678', NEW_PASSWORD, '10.0.0.2')).statusCode, 400, 'another IP is not limited')
  t.equal((await resetWithCode(h, 'bob', '12345678', NEW_PASSWORD)).statusCode, 400)
  t.equal((await h.post('reset-password', { user_id: '1', timestamp: '1', signature: 'x', password: NEW_PASSWORD })).statusCode, 429, 'per IP, shared with reset-password')
})

t.test('a failing shared store answers 503 and changes nothing', async (t) => {
  const redis = await openRedis(t)
  if (redis === null) return
  const broken = redis.client()
  broken.disconnect()
  const h = await buildApp(t, { plugin: { codes: true, rateLimit: { redis: broken } }, before: async (app) => await app.register(fastifyRateLimit, { global: false }) })
  if (h === null) return
  const alice = await userNamed(h, 'alice')
  const res = await resetWithCode(h, 'alice', '12345678', NEW_PASSWORD)
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'FST_RESET_PASSWORD_UNAVAILABLE')
  t.ok(await verifyPassword(OLD_PASSWORD, await h.hashOf(alice.id)))
})

t.test('with Redis two instances share the marks and the count of wrong codes', async (t) => {
  const redis = await openRedis(t)
  if (redis === null) return
  const a = await buildApp(t, { plugin: { codes: { maxAttempts: 4 }, rateLimit: { redis: redis.client() } } })
  if (a === null) return
  const b = await buildApp(t, { sink: a.sink, plugin: { codes: { maxAttempts: 4 }, rateLimit: { redis: redis.client() }, users: a.app.resetPassword.users } })
  if (b === null) return
  b.clock.now = a.clock.now
  await userNamed(a, 'alice')
  await userNamed(a, 'bob')
  const alices = await mailedCode(a, 'alice')
  const bobs = await mailedCode(a, 'bob')
  t.equal((await resetWithCode(b, 'bob', bobs, NEW_PASSWORD)).statusCode, 200, 'a code mailed by one instance works on the other')
  for (const h of [a, b, a, b]) t.same((await resetWithCode(h, 'alice', wrongCode(alices), NEW_PASSWORD)).json(), INVALID_CODE)
  t.same((await resetWithCode(a, 'alice', alices, NEW_PASSWORD)).json(), INVALID_CODE, 'four wrong codes over two instances lock the account')
  t.same((await resetWithCode(b, 'alice', alices, NEW_PASSWORD)).json(), INVALID_CODE)
  t.ok((await redis.keys()).some((key) => key.startsWith('fastify-reset-password:code:attempts:')))
})

t.test('a login without an account that asked for a code has a mark of its own, under its key, which no code opens', async (t) => {
  const redis = await openRedis(t)
  if (redis === null) return
  const h = await buildApp(t, { plugin: { codes: true, rateLimit: { redis: redis.client() } } })
  if (h === null) return
  t.equal((await h.post('send-reset-password-code', { login: 'Nobody@Example.com' })).statusCode, 200)
  const period = Math.floor(h.clock.now / PERIOD_MS)
  const mark = `fastify-reset-password:code:mark:${period}:login:${loginKey('nobody@example.com')}`
  // The rehearsal is built after the reply, and sends nothing that could be waited for.
  for (let tries = 0; tries < 200 && !(await redis.keys()).includes(mark); tries++) await sleep(10)
  const keys = await redis.keys()
  t.ok(keys.includes(mark), 'the rehearsal marks the login, by its key, for the period')
  t.notOk(keys.some((key) => key.toLowerCase().includes('nobody')), 'the store never sees the login itself')
  // The stand-in's codes are the only ones a rehearsal ever computes.
  const { key } = resolveCodes(true, undefined, SECRET) as NonNullable<ReturnType<typeof resolveCodes>>
  for (const code of [deriveCode(key, STAND_IN, period, 8), deriveCode(key, STAND_IN, period - 1, 8), '00000000']) {
    t.same((await resetWithCode(h, 'nobody@example.com', code, NEW_PASSWORD)).json(), INVALID_CODE)
  }
})

t.test('codes are validated at register time, naming the option', async (t) => {
  const cases: Array<[unknown, Record<string, unknown>, RegExp]> = [
    [{ digits: 5 }, {}, /"codes.digits" must be an integer from 6 to 10/],
    [{ digits: 11 }, {}, /"codes.digits"/],
    [{ period: 0 }, {}, /"codes.period" must be a positive integer/],
    [{ maxAttempts: 1.5 }, {}, /"codes.maxAttempts"/],
    ['yes', {}, /"codes" must be true or an object/],
    [true, { compat: 'django-rest-registration' }, /"codes" does not apply with compat/],
    [true, { secret: undefined, signer: () => ({ sign: () => '', verify: () => false }) }, /"codes" needs the `secret` option/]
  ]
  for (const [codes, extra, message] of cases) {
    const h = buildApp(t, { plugin: { codes: codes as never, ...extra } })
    await t.rejects(h, { code: 'FST_RESET_PASSWORD_INVALID_OPTION', message })
  }
  t.equal(resolveCodes(false, undefined, SECRET), undefined, 'false is off')
  t.match(resolveCodes({}, undefined, SECRET), { digits: 8, period: 900, maxAttempts: 5, guessBudget: 5000 })
})

t.test('without codes the code routes do not exist', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  t.equal((await h.post('send-reset-password-code', { login: 'alice' })).statusCode, 404)
})

t.test('a code always has `digits` digits and changes with the password hash, e-mail, period and account', async (t) => {
  const key = createSecretKey(Buffer.alloc(32, 7))
  const user = fc.record({ id: fc.string({ minLength: 1 }), email: fc.option(fc.emailAddress()), passwordHash: fc.string() })
  fc.assert(fc.property(user, fc.nat({ max: 2 ** 40 }), fc.integer({ min: 6, max: 10 }), (u, period, digits) => {
    const code = deriveCode(key, u, period, digits)
    if (!new RegExp(`^[0-9]{${digits}}$`).test(code)) return false
    // At 10^-6 or less a chance collision would make a property fail once in a million runs: compare 10 digits.
    const ten = deriveCode(key, u, period, 10)
    return ten !== deriveCode(key, { ...u, passwordHash: `${u.passwordHash}x` }, period, 10) &&
      ten !== deriveCode(key, { ...u, email: `${u.email ?? ''}x` }, period, 10) &&
      ten !== deriveCode(key, u, period + 1, 10) &&
      ten !== deriveCode(key, { ...u, id: `${u.id}x` }, period, 10)
  }))
})

t.test('a code derived from the plugin secret stays the same from one version to the next', async (t) => {
  // A known answer, computed when the key was still a Buffer: a code mailed before an upgrade works after it.
  const { key } = resolveCodes(true, undefined, SECRET) as NonNullable<ReturnType<typeof resolveCodes>>
  const user = { id: '42', email: 'alice@example.com', passwordHash: 'scrypt$ln=17,r=8,p=1$c2FsdA$aGFzaA' }
  t.equal(deriveCode(key, user, 1_964_000, 8), '15037778')
})

t.test('code digits are spread evenly', async (t) => {
  // 20,000 codes: every digit of every position within 6 standard deviations of a tenth.
  const key = createSecretKey(Buffer.alloc(32, 1))
  const counts = Array.from({ length: 8 }, () => new Array<number>(10).fill(0))
  for (let i = 0; i < 20_000; i++) {
    const code = deriveCode(key, { id: String(i), email: null, passwordHash: '' }, 1, 8)
    for (let p = 0; p < 8; p++) {
      const row = counts[p] as number[]
      const digit = Number(code[p])
      row[digit] = (row[digit] as number) + 1
    }
  }
  for (const row of counts) for (const n of row) t.ok(Math.abs(n - 2000) < 6 * Math.sqrt(20_000 * 0.1 * 0.9), `${n} near 2000`)
  t.end()
})
