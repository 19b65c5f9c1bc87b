import t from 'tap'
import { verifyPassword } from '../lib/index.js'
import { buildApp, NEW_PASSWORD, OLD_PASSWORD } from './helpers/app.js'
import { mailedLink, userNamed } from './helpers/links.js'

const INVALID = { statusCode: 400, code: 'FST_RESET_PASSWORD_INVALID_SIGNATURE', error: 'Bad Request', message: 'Invalid signature' }
const EXPIRED = { statusCode: 400, code: 'FST_RESET_PASSWORD_SIGNATURE_EXPIRED', error: 'Bad Request', message: 'Signature expired' }

t.test('a mailed link resets the password and the new one verifies', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const user = await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  const res = await h.post('reset-password', { ...link, password: NEW_PASSWORD })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { detail: 'Reset password successful' })
  t.equal(res.headers['cache-control'], 'no-store')
  const hash = await h.hashOf(user.id)
  t.ok(await verifyPassword(NEW_PASSWORD, hash))
  t.notOk(await verifyPassword(OLD_PASSWORD, hash))
})

t.test('user_id may arrive as an integer and timestamp as a number', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  const res = await h.post('reset-password', { ...link, user_id: Number(link.user_id), timestamp: Number(link.timestamp), password: NEW_PASSWORD })
  t.equal(res.statusCode, 200)
})

t.test('a used link, an older link and a link for a changed e-mail stop working', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const user = await userNamed(h, 'alice')
  const older = await mailedLink(h, 'alice')
  h.clock.now += 1000
  const newer = await mailedLink(h, 'alice')
  t.equal((await h.post('reset-password', { ...newer, password: NEW_PASSWORD })).statusCode, 200)
  t.same((await h.post('reset-password', { ...newer, password: `${NEW_PASSWORD}2` })).json(), INVALID)
  t.same((await h.post('reset-password', { ...older, password: `${NEW_PASSWORD}3` })).json(), INVALID)

  const beforeChange = await mailedLink(h, 'alice')
  await (h.db as any).updateTable(h.table).set({ email: 'alice.new@example.com' }).where('id', '=', Number(user.id)).execute()
  t.same((await h.post('reset-password', { ...beforeChange, password: `${NEW_PASSWORD}4` })).json(), INVALID)
})

t.test('a link the app signs for a user without an e-mail address works, and stops working once an address is added', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const { id } = await h.addUser({ username: 'nomail', email: null })
  const user = await h.app.resetPassword.users.findById(id)
  t.equal(user?.email, null)
  const link = h.app.resetPassword.signer.sign(user!)
  t.equal((await h.post('reset-password', { ...link, password: NEW_PASSWORD })).statusCode, 200)

  const beforeAddress = h.app.resetPassword.signer.sign((await h.app.resetPassword.users.findById(id))!)
  await (h.db as any).updateTable(h.table).set({ email: 'nomail@example.com' }).where('id', '=', Number(id)).execute()
  t.same((await h.post('reset-password', { ...beforeAddress, password: `${NEW_PASSWORD}2` })).json(), INVALID)
})

t.test('without oneTimeUse a link works again until it expires', async (t) => {
  const h = await buildApp(t, { plugin: { oneTimeUse: false } })
  if (h === null) return
  await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  t.equal((await h.post('reset-password', { ...link, password: NEW_PASSWORD })).statusCode, 200)
  t.equal((await h.post('reset-password', { ...link, password: `${NEW_PASSWORD}2` })).statusCode, 200)
})

t.test('a link is valid at exactly the period and expired one second later', async (t) => {
  const h = await buildApp(t, { plugin: { period: 600 } })
  if (h === null) return
  await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  const issued = h.clock.now
  h.clock.now = issued + 601_000
  t.same((await h.post('reset-password', { ...link, password: NEW_PASSWORD })).json(), EXPIRED)
  h.clock.now = issued + 600_999
  t.equal((await h.post('reset-password', { ...link, password: NEW_PASSWORD })).statusCode, 200)
})

t.test('a tampered timestamp, user id or signature is an invalid signature', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const other = await userNamed(h, 'bob')
  await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  const flipped = link.signature.slice(0, -2) + (link.signature.at(-2) === 'A' ? 'B' : 'A') + link.signature.at(-1)
  const cases = [
    { ...link, timestamp: String(Number(link.timestamp) - 1) },
    { ...link, timestamp: String(Number(link.timestamp) + 1) },
    { ...link, user_id: other.id },
    { ...link, user_id: '999999' },
    { ...link, user_id: 'not-a-number' },
    { ...link, signature: flipped },
    { ...link, signature: link.signature.slice(1) },
    { ...link, signature: `${link.signature}A` },
    { ...link, signature: link.signature.replace(/^./, '+') },
    { ...link, signature: 'x' }
  ]
  for (const body of cases) {
    t.same((await h.post('reset-password', { ...body, password: NEW_PASSWORD })).json(), INVALID, JSON.stringify(body))
  }
})

t.test('an inactive user cannot reset, even with a link signed while active', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const user = await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  await (h.db as any).updateTable(h.table).set({ is_active: 0 }).where('id', '=', Number(user.id)).execute()
  t.same((await h.post('reset-password', { ...link, password: NEW_PASSWORD })).json(), INVALID)
})

t.test('a link from more than a minute in the future is invalid', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  h.clock.now -= 61_000
  t.same((await h.post('reset-password', { ...link, password: NEW_PASSWORD })).json(), INVALID)
  h.clock.now += 1000
  t.equal((await h.post('reset-password', { ...link, password: NEW_PASSWORD })).statusCode, 200)
})

t.test('a link signed with a key no longer configured is invalid; a previous key still verifies', async (t) => {
  const oldSecret = 'the-old-secret-0123456789-abcdefghijklmnopqrstuvwxyz'
  const newSecret = 'the-new-secret-0123456789-abcdefghijklmnopqrstuvwxyz'
  const before = await buildApp(t, { plugin: { secret: oldSecret } })
  if (before === null) return
  await userNamed(before, 'alice')
  const link = await mailedLink(before, 'alice')
  const rotated = await buildApp(t, { plugin: { secret: [newSecret, oldSecret], users: before.app.resetPassword.users } })
  const dropped = await buildApp(t, { plugin: { secret: newSecret, users: before.app.resetPassword.users } })
  t.same((await dropped!.post('reset-password', { ...link, password: NEW_PASSWORD })).json(), INVALID)
  t.equal((await rotated!.post('reset-password', { ...link, password: NEW_PASSWORD })).statusCode, 200)
})

t.test('passwordConfirm requires a matching password_confirm', async (t) => {
  const h = await buildApp(t, { plugin: { passwordConfirm: true } })
  if (h === null) return
  await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  const missing = await h.post('reset-password', { ...link, password: NEW_PASSWORD })
  t.equal(missing.statusCode, 400)
  t.equal(missing.json().code, 'FST_ERR_VALIDATION')
  t.same((await h.post('reset-password', { ...link, password: NEW_PASSWORD, password_confirm: 'other' })).json(),
    { statusCode: 400, code: 'FST_RESET_PASSWORD_PASSWORD_MISMATCH', error: 'Bad Request', message: "Passwords don't match" })
  t.equal((await h.post('reset-password', { ...link, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD })).statusCode, 200)
})

t.test('a password_confirm sent without passwordConfirm must still match', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  t.equal((await h.post('reset-password', { ...link, password: NEW_PASSWORD, password_confirm: 'x' })).json().code, 'FST_RESET_PASSWORD_PASSWORD_MISMATCH')
})

t.test('each password rule answers 400 with its reason code, all listed, and the hash stays', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const user = await userNamed(h, 'testusername')
  const link = await mailedLink(h, 'testusername')
  const hash = await h.hashOf(user.id)
  const cases: Array<[string, string[]]> = [
    ['1234567', ['password_too_short', 'password_too_common', 'password_entirely_numeric']],
    ['Short1!', ['password_too_short']],
    ['x'.repeat(257), ['password_too_long']],
    ['password', ['password_too_common']],
    ['9876543210123', ['password_entirely_numeric']],
    ['testusername', ['password_too_similar']],
    ['', ['password_too_short']]
  ]
  for (const [password, codes] of cases) {
    const res = await h.post('reset-password', { ...link, password })
    t.equal(res.statusCode, 400, password)
    const body = res.json()
    t.equal(body.code, 'FST_RESET_PASSWORD_INVALID_PASSWORD')
    t.same(body.reasons.map((r: { code: string }) => r.code).sort(), [...codes].sort(), password)
    t.ok(body.reasons.every((r: { message: string }) => r.message.length > 0))
  }
  t.equal(await h.hashOf(user.id), hash)
})

t.test('no password message is shown for a link that is not valid', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  t.same((await h.post('reset-password', { ...link, signature: 'A'.repeat(43), password: '1' })).json(), INVALID)
  h.clock.now += 10 * 3600_000
  t.same((await h.post('reset-password', { ...link, password: '1' })).json(), EXPIRED)
})

t.test('an app validator receives the user and its reasons are listed', async (t) => {
  const seen: string[] = []
  const h = await buildApp(t, {
    plugin: {
      password: {
        validators: [async (password, user) => {
          seen.push(user.id)
          return password.includes('acme') ? [{ code: 'password_has_company_name', message: 'No company names.' }] : []
        }]
      }
    }
  })
  if (h === null) return
  const user = await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  const res = await h.post('reset-password', { ...link, password: 'acme-is-my-company' })
  t.same(res.json().reasons, [{ code: 'password_has_company_name', message: 'No company names.' }])
  t.same(seen, [user.id])
})

t.test('passwords are taken exactly as sent: spaces kept, Unicode counted in code points', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const user = await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  const emoji = '🔑🔑🔑🔑🔑🔑🔑' // 7 code points, 14 UTF-16 units: too short
  t.same((await h.post('reset-password', { ...link, password: emoji })).json().reasons.map((r: { code: string }) => r.code), ['password_too_short'])
  const spaced = '  Ünïcode pässwörd 🔑  '
  t.equal((await h.post('reset-password', { ...link, password: spaced })).statusCode, 200)
  const hash = await h.hashOf(user.id)
  t.ok(await verifyPassword(spaced, hash))
  t.notOk(await verifyPassword(spaced.trim(), hash))
})

t.test('every field of reset-password is strictly typed', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const user = await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  const valid = { ...link, password: NEW_PASSWORD }
  const bad: unknown[] = [
    { ...valid, user_id: null }, { ...valid, user_id: [link.user_id] }, { ...valid, user_id: -1 }, { ...valid, user_id: 1.5 },
    { ...valid, user_id: '' }, { ...valid, user_id: 'x'.repeat(65) }, { ...valid, user_id: true },
    { ...valid, timestamp: '1.5' }, { ...valid, timestamp: '-1' }, { ...valid, timestamp: ' 1' }, { ...valid, timestamp: 1.5 },
    { ...valid, timestamp: '1'.repeat(13) }, { ...valid, timestamp: null }, { ...valid, timestamp: [1] },
    { ...valid, signature: 42 }, { ...valid, signature: '' }, { ...valid, signature: 'x'.repeat(129) }, { ...valid, signature: null },
    { ...valid, password: 12345678 }, { ...valid, password: null }, { ...valid, password: ['a'] }, { ...valid, password: 'x'.repeat(4097) },
    { ...valid, password_confirm: 1 }, { ...valid, extra: true },
    { user_id: link.user_id, timestamp: link.timestamp, signature: link.signature }
  ]
  const hash = await h.hashOf(user.id)
  for (const body of bad) {
    const res = await h.post('reset-password', body)
    t.equal(res.statusCode, 400, JSON.stringify(body).slice(0, 80))
    t.equal(res.json().code, 'FST_ERR_VALIDATION')
  }
  t.equal(await h.hashOf(user.id), hash)
})

t.test('a custom hasher stores what it returns', async (t) => {
  const h = await buildApp(t, { plugin: { password: { hash: async (password) => `plain:${password}` } } })
  if (h === null) return
  const user = await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  t.equal((await h.post('reset-password', { ...link, password: NEW_PASSWORD })).statusCode, 200)
  t.equal(await h.hashOf(user.id), `plain:${NEW_PASSWORD}`)
})
