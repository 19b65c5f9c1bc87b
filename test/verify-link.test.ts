import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { UserAdapter } from '../lib/index.js'
import { buildApp, cheapHash, NEW_PASSWORD } from './helpers/app.js'
import { mailedLink, userNamed } from './helpers/links.js'

const VERIFY = 'verify-reset-password-link'
const RESET = 'reset-password'
const INVALID = { statusCode: 400, code: 'FST_RESET_PASSWORD_INVALID_SIGNATURE', error: 'Bad Request', message: 'Invalid signature' }
const EXPIRED = { statusCode: 400, code: 'FST_RESET_PASSWORD_SIGNATURE_EXPIRED', error: 'Bad Request', message: 'Signature expired' }

/** What a client sees of a reply but its Date header. */
function observable (res: LightMyRequestResponse): { statusCode: number, body: string, headers: string } {
  const headers = Object.entries(res.headers).filter(([name]) => name !== 'date')
  return { statusCode: res.statusCode, body: res.body, headers: JSON.stringify(headers) }
}

t.test('a mailed link checks as valid, with when it expires, and checking does not use it up', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const user = await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  const hash = await h.hashOf(user.id)
  const expected = { detail: 'Reset link is valid', expires_at: new Date((Number(link.timestamp) + 3600) * 1000).toISOString() }
  for (const route of [VERIFY, `${VERIFY}/`, VERIFY]) {
    const res = await h.post(route, link)
    t.equal(res.statusCode, 200, route)
    t.same(res.json(), expected)
  }
  const res = await h.post(VERIFY, { ...link, user_id: Number(link.user_id), timestamp: Number(link.timestamp) })
  t.same(res.json(), expected, 'user_id and timestamp may be numbers, as in reset-password')
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.headers['referrer-policy'], 'no-referrer')
  t.equal(await h.hashOf(user.id), hash, 'nothing was written')

  t.equal((await h.post(RESET, { ...link, password: NEW_PASSWORD })).statusCode, 200, 'the checked link still resets the password')
  t.same((await h.post(VERIFY, link)).json(), INVALID, 'once used, the link checks as invalid')
})

t.test('a link checks as valid at exactly the period and as expired one second later', async (t) => {
  const h = await buildApp(t, { plugin: { period: 600 } })
  if (h === null) return
  await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  const issued = h.clock.now
  h.clock.now = issued + 600_999
  t.same((await h.post(VERIFY, link)).json(), { detail: 'Reset link is valid', expires_at: new Date(issued + 600_000).toISOString() })
  h.clock.now = issued + 601_000
  t.same((await h.post(VERIFY, link)).json(), EXPIRED)
})

t.test('an unknown user, an inactive user, a forged signature and a used link check identically', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const alice = await userNamed(h, 'alice')
  const dormant = await h.addUser({ username: 'dormant', email: 'dormant@example.com', isActive: false })
  const dormantLink = h.app.resetPassword.signer.sign({ id: dormant.id, email: 'dormant@example.com', passwordHash: await h.hashOf(dormant.id) })
  const link = await mailedLink(h, 'alice')
  t.equal((await h.post(RESET, { ...link, password: NEW_PASSWORD })).statusCode, 200)
  const flipped = (link.signature.startsWith('A') ? 'B' : 'A') + link.signature.slice(1)
  const cases: Array<[string, Record<string, unknown>]> = [
    ['a used link', link],
    ['an unknown user_id', { ...link, user_id: '999999' }],
    ['an unknown integer user_id', { ...link, user_id: 999999 }],
    ['a forged signature', { ...link, signature: flipped }],
    ['a malformed signature', { ...link, signature: 'not-a-signature' }],
    ['an inactive user', { ...dormantLink }],
    ['another user\'s id', { ...link, user_id: String(Number(alice.id) + 1) }]
  ]
  const replies = []
  for (const [name, body] of cases) replies.push({ name, seen: observable(await h.post(VERIFY, body)) })
  for (const { name, seen } of replies) t.same(seen, replies[0]!.seen, `${name} is answered like a used link`)
  t.same(JSON.parse(replies[0]!.seen.body), INVALID)
})

t.test('a body that is not a link is refused with 400 before the user store is asked', async (t) => {
  let lookups = 0
  const spy: UserAdapter = {
    findByLogin: async () => [],
    findById: async () => { lookups++; return null },
    replacePasswordHash: async () => false
  }
  const checked = await buildApp(t, { plugin: { users: spy } })
  if (checked === null) return
  const link = { user_id: '1', timestamp: '1767225600', signature: 'A'.repeat(43) }
  const bodies = [
    {},
    { user_id: '1', timestamp: '1767225600' },
    { ...link, password: NEW_PASSWORD },
    { ...link, timestamp: '-1' },
    { ...link, user_id: null },
    { ...link, signature: ['A'] }
  ]
  for (const body of bodies) {
    const res = await checked.post(VERIFY, body)
    t.equal(res.statusCode, 400, JSON.stringify(body))
    t.equal(res.json().code, 'FST_ERR_VALIDATION')
  }
  t.equal(lookups, 0)
  t.equal((await checked.post(VERIFY, link)).statusCode, 400)
  t.equal(lookups, 1, 'a well-formed link is looked up')
})

t.test('a failing user store answers the check with 503', async (t) => {
  const failing: UserAdapter = {
    findByLogin: async () => [],
    findById: async () => { throw new Error('the database is down') },
    replacePasswordHash: async () => false
  }
  const h = await buildApp(t, { plugin: { users: failing } })
  if (h === null) return
  const res = await h.post(VERIFY, { user_id: '1', timestamp: '1767225600', signature: 'A'.repeat(43) })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'FST_RESET_PASSWORD_UNAVAILABLE')
})

t.test('the check counts against reset-password\'s limits per IP and per (user_id, IP)', async (t) => {
  const h = await buildApp(t, {
    plugin: {
      rateLimit: { resetPassword: { perIp: { max: 6, timeWindow: 60_000 }, perUser: { max: 3, timeWindow: 60_000 } } },
      password: { hash: cheapHash }
    }
  })
  if (h === null) return
  await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  t.equal((await h.post(VERIFY, link)).statusCode, 200)
  t.equal((await h.post(`${VERIFY}/`, link)).statusCode, 200)
  t.equal((await h.post(RESET, { ...link, password: 'short' })).statusCode, 400)
  const limited = await h.post(VERIFY, link)
  t.equal(limited.statusCode, 429, 'the fourth attempt on one user from one IP, check or reset, is limited')
  t.equal(limited.json().code, 'FST_RESET_PASSWORD_RATE_LIMITED')
  t.equal((await h.post(RESET, { ...link, password: NEW_PASSWORD })).statusCode, 429)
  t.equal((await h.post(VERIFY, link, {}, '10.9.0.1')).statusCode, 200, 'another IP has its own bucket')

  const other = { ...link, user_id: '999999' }
  t.equal((await h.post(VERIFY, other)).statusCode, 400)
  t.equal((await h.post(VERIFY, other)).statusCode, 429, 'past six requests from one IP, whichever user, the IP is limited')
})

t.test('compat mode keeps django-rest-registration\'s routes: there is no link check', async (t) => {
  const h = await buildApp(t, { plugin: { compat: 'django-rest-registration' } })
  if (h === null) return
  await userNamed(h, 'alice')
  const link = h.app.resetPassword.signer.sign({ id: '1', email: 'alice@example.com', passwordHash: await h.hashOf('1') })
  t.equal((await h.post(VERIFY, link)).statusCode, 404)
  t.equal((await h.post(`${VERIFY}/`, link)).statusCode, 404)
})
