import t, { type Test } from 'tap'
import type { BreachedPasswordOptions, PasswordOptions, ResetPasswordOptions, UserAdapter } from '../lib/index.js'
import { resolveOptions } from '../lib/options.js'
import { breachedDefaults } from '../lib/password/breached.js'
import { buildApp, cheapHash, NEW_PASSWORD, type TestApp, type TestUser } from './helpers/app.js'
import { userNamed } from './helpers/links.js'
import { sha1, startRangeApi, type RangeApi, type RangeMode } from './helpers/range-api.js'

const RESET = 'reset-password'
// Passes every local rule; the range API is told it was breached.
const BREACHED_PASSWORD = 'Tr0ub4dor&3-horse-staple'
const BREACHED = { code: 'password_breached', message: 'This password has appeared in a data breach.' }
const UNAVAILABLE = { statusCode: 503, code: 'FST_RESET_PASSWORD_UNAVAILABLE', error: 'Service Unavailable', message: 'Service temporarily unavailable, try again later' }
// Slow is tested on its own, with a short timeout: a short one here could expire on a busy machine when the API does answer.
const FAILING_MODES: RangeMode[] = ['error', 'garbage', 'empty', 'huge', 'redirect', 'reset']
const WARN = 40
const ERROR = 50

interface Checked {
  readonly h: TestApp
  readonly api: RangeApi
  /** Every log line so far, parsed. */
  logs (): Array<{ level: number, msg: string, err?: { message: string } }>
  /** The raw log text, to search for secrets. */
  log (): string
}

/** A fresh link for `user`, signed directly: these tests are about the password, not the mail. */
async function signedLink (h: TestApp, user: TestUser): Promise<Record<string, string>> {
  return { ...h.app.resetPassword.signer.sign({ id: user.id, email: user.email, passwordHash: await h.hashOf(user.id) }) }
}

/** An app whose breach lookups go to a loopback range API, with its log (warn and above) captured. */
async function checkedApp (t: Test, breached: BreachedPasswordOptions = {}, password: PasswordOptions = {}): Promise<Checked | null> {
  const api = await startRangeApi(t)
  const lines: string[] = []
  const h = await buildApp(t, {
    fastify: { logger: { level: 'warn', stream: { write (line: string) { lines.push(line) } } } },
    // Far above any answer's time, even on a busy machine; the slow-mode test sets a short one.
    plugin: { password: { hash: cheapHash, ...password, breached: { url: api.url, timeout: 10_000, ...breached } } }
  })
  if (h === null) return null
  return {
    h,
    api,
    logs: () => lines.map((line) => JSON.parse(line) as { level: number, msg: string, err?: { message: string } }),
    log: () => lines.join('')
  }
}

t.test('a breached password is refused with password_breached and nothing changes; a clean one is stored', async (t) => {
  const c = await checkedApp(t)
  if (c === null) return
  c.api.breach(BREACHED_PASSWORD, 3)
  const user = await userNamed(c.h, 'alice')
  const link = await signedLink(c.h, user)
  const hash = await c.h.hashOf(user.id)
  const res = await c.h.post(RESET, { ...link, password: BREACHED_PASSWORD })
  t.same(res.json(), {
    statusCode: 400,
    code: 'FST_RESET_PASSWORD_INVALID_PASSWORD',
    error: 'Bad Request',
    message: 'The password does not meet the password policy',
    reasons: [BREACHED]
  })
  t.equal(await c.h.hashOf(user.id), hash, 'the password did not change')
  t.equal((await c.h.post(RESET, { ...link, password: NEW_PASSWORD })).statusCode, 200, 'the link still works')
  t.not(await c.h.hashOf(user.id), hash)
  t.same(c.logs(), [], 'nothing is logged when the lookup works')
})

t.test('password_breached comes after the local reasons, the app\'s own included', async (t) => {
  const appRule = { code: 'no_horses', message: 'No horses.' }
  const c = await checkedApp(t, {}, { validators: [(password) => password.includes('horse') ? [appRule] : []] })
  if (c === null) return
  c.api.breach('password', 9_659_365)
  c.api.breach(BREACHED_PASSWORD, 1)
  const link = await signedLink(c.h, await userNamed(c.h, 'alice'))
  const common = await c.h.post(RESET, { ...link, password: 'password' })
  t.same(common.json().reasons.map((reason: { code: string }) => reason.code), ['password_too_common', 'password_breached'])
  t.same((await c.h.post(RESET, { ...link, password: BREACHED_PASSWORD })).json().reasons, [appRule, BREACHED])
})

t.test('only the first 5 hex digits of the SHA-1 leave, asked with Add-Padding: true', async (t) => {
  const c = await checkedApp(t)
  if (c === null) return
  const link = await signedLink(c.h, await userNamed(c.h, 'alice'))
  t.equal((await c.h.post(RESET, { ...link, password: NEW_PASSWORD })).statusCode, 200)
  const hash = sha1(NEW_PASSWORD)
  t.equal(c.api.requests.length, 1)
  const [request] = c.api.requests
  t.equal(request?.method, 'GET')
  t.equal(request?.url, `/range/${hash.slice(0, 5)}`)
  t.equal(request?.headers['add-padding'], 'true')
  const sent = JSON.stringify(request).toUpperCase()
  for (const secret of [hash.slice(5, 15), hash.slice(-10), NEW_PASSWORD.toUpperCase()]) t.notOk(sent.includes(secret), 'nothing more of the hash or the password is sent')
})

t.test('a padding line with the password\'s suffix (count 0) is not a breach', async (t) => {
  const c = await checkedApp(t)
  if (c === null) return
  c.api.padWith(NEW_PASSWORD)
  const link = await signedLink(c.h, await userNamed(c.h, 'alice'))
  t.equal((await c.h.post(RESET, { ...link, password: NEW_PASSWORD })).statusCode, 200)
})

t.test('minCount: a password seen fewer times than minCount is accepted, one seen as often is refused', async (t) => {
  for (const [minCount, status] of [[4, 200], [3, 400]] as const) {
    const c = await checkedApp(t, { minCount })
    if (c === null) return
    c.api.breach(BREACHED_PASSWORD, 3)
    const link = await signedLink(c.h, await userNamed(c.h, 'alice'))
    t.equal((await c.h.post(RESET, { ...link, password: BREACHED_PASSWORD })).statusCode, status, `minCount ${minCount}, seen 3 times`)
  }
})

t.test('nothing is looked up before the link is proven valid, nor for a mismatched or over-long password', async (t) => {
  const c = await checkedApp(t)
  if (c === null) return
  const link = await signedLink(c.h, await userNamed(c.h, 'alice'))
  const refused: Array<[Record<string, unknown>, string]> = [
    [{ ...link, signature: 'A'.repeat(43), password: NEW_PASSWORD }, 'FST_RESET_PASSWORD_INVALID_SIGNATURE'],
    [{ ...link, user_id: '999999', password: NEW_PASSWORD }, 'FST_RESET_PASSWORD_INVALID_SIGNATURE'],
    [{ ...link, password: NEW_PASSWORD, password_confirm: `${NEW_PASSWORD}!` }, 'FST_RESET_PASSWORD_PASSWORD_MISMATCH'],
    [{ ...link, password: 'x'.repeat(257) }, 'FST_RESET_PASSWORD_INVALID_PASSWORD']
  ]
  for (const [body, code] of refused) t.equal((await c.h.post(RESET, body)).json().code, code)
  c.h.clock.now += 3601 * 1000
  t.equal((await c.h.post(RESET, { ...link, password: NEW_PASSWORD })).json().code, 'FST_RESET_PASSWORD_SIGNATURE_EXPIRED')
  t.same(c.api.requests, [], 'the range API was never asked')
})

t.test('failing open: a failing or nonsensical range API does not stop a reset, and is logged as a warning', async (t) => {
  const c = await checkedApp(t)
  if (c === null) return
  const user = await userNamed(c.h, 'alice')
  for (const mode of FAILING_MODES) {
    c.api.mode = mode
    const link = await signedLink(c.h, user)
    const password = `${NEW_PASSWORD}-${mode}`
    t.equal((await c.h.post(RESET, { ...link, password })).statusCode, 200, mode)
    const entries = c.logs()
    t.match(entries.at(-1), { level: WARN, msg: /breached-password lookup failed, so the password was not checked/ }, `${mode}: a warning`)
    t.notOk(c.log().includes(password), `${mode}: the password is not logged`)
    t.notOk(c.log().includes(sha1(password).slice(5)), `${mode}: nor its hash`)
  }
  t.equal(c.logs().length, FAILING_MODES.length, 'one warning per failed lookup')
  t.ok(c.api.requests.length >= FAILING_MODES.length)
  t.ok(await c.h.hashOf(user.id))
})

t.test('failing closed: without failOpen a failed lookup answers 503 and changes nothing', async (t) => {
  const c = await checkedApp(t, { failOpen: false })
  if (c === null) return
  const user = await userNamed(c.h, 'alice')
  const link = await signedLink(c.h, user)
  const hash = await c.h.hashOf(user.id)
  let resets = 0
  c.h.app.resetPassword.on('passwordReset', () => { resets++ })
  const mails = c.h.sink.mails.length
  for (const mode of FAILING_MODES) {
    c.api.mode = mode
    const res = await c.h.post(RESET, { ...link, password: NEW_PASSWORD })
    t.equal(res.statusCode, 503, mode)
    t.same(res.json(), UNAVAILABLE)
    t.match(c.logs().at(-1), { level: ERROR, msg: /breached-password lookup failed, so the reset was refused/ }, `${mode}: logged as an error`)
  }
  t.notOk(c.log().includes(NEW_PASSWORD), 'the password is not logged')
  t.equal(await c.h.hashOf(user.id), hash, 'the password did not change')
  t.equal(resets, 0, 'no passwordReset event')

  c.api.mode = 'error'
  const weak = await c.h.post(RESET, { ...link, password: 'password' })
  t.same(weak.json().reasons, [{ code: 'password_too_common', message: 'This password is too common.' }], 'a password refused anyway gets its reasons, not a 503')

  c.api.mode = 'ok'
  t.equal((await c.h.post(RESET, { ...link, password: NEW_PASSWORD })).statusCode, 200, 'once the API answers, the same link works')
  t.equal(resets, 1)
  t.equal((await c.h.sink.waitForMails(mails + 1)).length, mails + 1, 'only the successful reset sent a notice')
})

t.test('a range API that does not answer within the timeout fails open, or closed without failOpen', async (t) => {
  for (const [failOpen, status] of [[true, 200], [false, 503]] as const) {
    const c = await checkedApp(t, { timeout: 300, failOpen })
    if (c === null) return
    c.api.mode = 'slow'
    const user = await userNamed(c.h, 'alice')
    const link = await signedLink(c.h, user)
    const hash = await c.h.hashOf(user.id)
    t.equal((await c.h.post(RESET, { ...link, password: NEW_PASSWORD })).statusCode, status, `failOpen: ${failOpen}`)
    t.match(c.logs(), [{ level: failOpen ? WARN : ERROR, msg: /breached-password lookup failed/, err: { message: /timeout/ } }])
    t.equal(await c.h.hashOf(user.id) === hash, !failOpen, failOpen ? 'the password changed' : 'the password did not change')
  }
})

t.test('in compat mode a breached password is refused in django-rest-registration\'s words', async (t) => {
  const api = await startRangeApi(t)
  api.breach(BREACHED_PASSWORD, 2)
  const h = await buildApp(t, { plugin: { compat: 'django-rest-registration', password: { hash: cheapHash, breached: { url: api.url } } } })
  if (h === null) return
  const user = await userNamed(h, 'alice')
  const res = await h.post('reset-password/', { ...await signedLink(h, user), password: BREACHED_PASSWORD })
  t.equal(res.statusCode, 400)
  t.same(res.json(), { password: [BREACHED.message], non_field_errors: [] })
})

t.test('password.breached is off by default, true takes the defaults, and options fill in the rest', async (t) => {
  const users: UserAdapter = { findByLogin: async () => [], findById: async () => null, replacePasswordHash: async () => false }
  const base: ResetPasswordOptions = { secret: 'a'.repeat(32), verificationUrl: 'https://frontend.example/r/', users, deliver: () => {} }
  t.equal(resolveOptions(base).breached, null)
  t.equal(resolveOptions({ ...base, password: { breached: false } }).breached, null)
  t.same(breachedDefaults, { url: 'https://api.pwnedpasswords.com/range/', timeout: 1500, failOpen: true, minCount: 1 })
  t.same(resolveOptions({ ...base, password: { breached: true } }).breached, breachedDefaults)
  t.same(resolveOptions({ ...base, password: { breached: { minCount: 10 } } }).breached, { ...breachedDefaults, minCount: 10 })
  t.same(resolveOptions({ ...base, password: { breached: { url: 'http://localhost:8080/range/', timeout: 500, failOpen: false } } }).breached,
    { url: 'http://localhost:8080/range/', timeout: 500, failOpen: false, minCount: 1 })

  const invalid: Array<[unknown, RegExp]> = [
    ['yes', /option "password.breached" must be a boolean or \{ url\?, timeout\?, failOpen\?, minCount\? \}/],
    [null, /option "password.breached" must be/],
    [{ url: 'api.pwnedpasswords.com/range/' }, /option "password.breached.url" must be an absolute URL/],
    [{ url: 'http://api.pwnedpasswords.com/range/' }, /option "password.breached.url" must use https:/],
    [{ url: 'https://api.pwnedpasswords.com/range' }, /option "password.breached.url" must end with \//],
    [{ timeout: 0 }, /option "password.breached.timeout" must be a positive integer/],
    [{ timeout: '1s' }, /option "password.breached.timeout"/],
    [{ failOpen: 'no' }, /option "password.breached.failOpen" must be a boolean/],
    [{ minCount: 0 }, /option "password.breached.minCount" must be a positive integer/]
  ]
  for (const [breached, message] of invalid) {
    t.throws(() => resolveOptions({ ...base, password: { breached: breached as BreachedPasswordOptions } }), { code: 'FST_RESET_PASSWORD_INVALID_OPTION', message }, JSON.stringify(breached))
  }
})
