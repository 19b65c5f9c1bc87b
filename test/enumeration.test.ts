import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildApp, NEW_PASSWORD, type TestApp } from './helpers/app.js'
import { linkFrom, startSmtpSink } from './helpers/smtp.js'

const SEND = 'send-reset-password-link'
const RESET = 'reset-password'
const DEFAULT_LIMITS = { rateLimit: undefined }

/** What a client sees of a reply but the two headers allowed to differ, headers in the order sent. */
function observable (res: LightMyRequestResponse): { statusCode: number, body: string, headers: string } {
  const headers = Object.entries(res.headers).filter(([name]) => name !== 'date' && name !== 'x-request-id')
  return { statusCode: res.statusCode, body: res.rawPayload.toString('hex'), headers: JSON.stringify(headers) }
}

// A 429 tells how long to wait; two buckets made a millisecond apart may round that to different seconds.
function withoutWait (res: LightMyRequestResponse): ReturnType<typeof observable> {
  const seen = observable(res)
  const body = res.body.replace(/retry in \d+ seconds/, 'retry in N seconds')
  return { ...seen, body, headers: seen.headers.replace(/"retry-after","\d+"/, '"retry-after","N"') }
}

async function mailedLink (h: TestApp, login: string): Promise<Record<string, string>> {
  const res = await h.post(SEND, { login })
  if (res.statusCode !== 200) throw new Error(`send-link answered ${res.statusCode}`)
  const [mail] = await h.sink.waitForMails(1)
  return Object.fromEntries(linkFrom(mail!).searchParams)
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  t.test(`send-link answers an existing and an unknown login with the same status, bytes and headers (${dialect})`, async (t) => {
    const h = await buildApp(t, { dialect, plugin: DEFAULT_LIMITS })
    if (h === null) return
    await h.addUser({ username: 'alice', email: 'alice@example.com' })
    await h.addUser({ username: 'dormant', email: 'dormant@example.com', isActive: false })
    await h.addUser({ username: 'mailless' })
    const replies = []
    let ip = 0
    for (const login of ['alice', 'alice@example.com', 'ALICE@example.com', 'dormant', 'mailless', 'nobody', 'nobody@example.com']) {
      replies.push({ login, seen: observable(await h.post(SEND, { login }, {}, `10.0.0.${ip++}`)) })
    }
    const [first] = replies
    for (const { login, seen } of replies) t.same(seen, first!.seen, `${login} is answered like alice`)
    t.equal(first!.seen.statusCode, 200)
    await h.sink.waitForMails(3)
  })
}

t.test('the per-login and per-IP limits answer an existing and an unknown login alike', async (t) => {
  const h = await buildApp(t, { plugin: DEFAULT_LIMITS })
  if (h === null) return
  await h.addUser({ username: 'alice', email: 'alice@example.com' })

  t.test('per login', async (t) => {
    const existing: LightMyRequestResponse[] = []
    const unknown: LightMyRequestResponse[] = []
    // Interleaved, so both buckets open within a millisecond of each other.
    for (let i = 0; i < 5; i++) {
      existing.push(await h.post(SEND, { login: 'alice@example.com' }, {}, `10.1.0.${i}`))
      unknown.push(await h.post(SEND, { login: 'ghost@example.com' }, {}, `10.1.1.${i}`))
    }
    t.same(existing.map((res) => res.statusCode), [200, 200, 200, 429, 429])
    t.same(existing.map(withoutWait), unknown.map(withoutWait))
  })

  t.test('per IP', async (t) => {
    const logins = ['alice', 'ghost']
    const replies = []
    for (let i = 0; i < 12; i++) replies.push(await h.post(SEND, { login: `${logins[i % 2]}-${i}@example.com` }, {}, '10.2.0.1'))
    replies.push(await h.post(SEND, { login: 'alice@example.com' }, {}, '10.2.0.1'))
    t.same(replies.map((res) => res.statusCode), [...Array(10).fill(200), 429, 429, 429])
    t.same(withoutWait(replies[12]!), withoutWait(replies[11]!), 'an existing login is refused like an unknown one')
  })
})

t.test('an SMTP server that is down, refusing or slow changes nothing in the send-link reply', async (t) => {
  // One SMTP session per mail: a pooled connection opened before a fault would outlive it, and
  // 'refuse' acts on new connections only.
  const sink = await startSmtpSink(t)
  const h = await buildApp(t, {
    sink,
    plugin: {
      mail: { from: 'no-reply@example.com', transport: `${sink.url}/?pool=false` },
      queue: { attempts: 2, retryDelay: 10, maxRetryDelay: 20, closeTimeout: 200 }
    }
  })
  if (h === null) return
  await h.addUser({ username: 'alice', email: 'alice@example.com' })
  const failed: string[] = []
  h.app.resetPassword.on('mailFailed', ({ error }) => { failed.push(error.message) })
  const baseline = observable(await h.post(SEND, { login: 'nobody' }))

  for (const fault of [{ kind: 'permanent' }, { kind: 'temporary' }, { kind: 'refuse' }] as const) {
    h.sink.fault(fault)
    const before = failed.length
    t.same(observable(await h.post(SEND, { login: 'alice' })), baseline, `${fault.kind} failure`)
    while (failed.length === before) await new Promise((resolve) => setTimeout(resolve, 10))
  }

  h.sink.fault({ kind: 'slow', delayMs: 1500 })
  const started = performance.now()
  t.same(observable(await h.post(SEND, { login: 'alice' })), baseline, 'slow server')
  t.ok(performance.now() - started < 500, 'the reply does not wait for the SMTP server')
  t.equal(h.sink.mails.length, 0)
})

t.test('reset-password answers an unknown user_id, a wrong signature and a used link with identical replies', async (t) => {
  const h = await buildApp(t, { plugin: DEFAULT_LIMITS })
  if (h === null) return
  const alice = await h.addUser({ username: 'alice', email: 'alice@example.com' })
  const dormant = await h.addUser({ username: 'dormant', email: 'dormant@example.com', isActive: false })
  const link = await mailedLink(h, 'alice')
  // Correctly signed, but the user is inactive.
  const dormantLink = h.app.resetPassword.signer.sign({ id: dormant.id, email: 'dormant@example.com', passwordHash: await h.hashOf(dormant.id) })
  t.equal((await h.post(RESET, { ...link, password: NEW_PASSWORD })).statusCode, 200)

  const signature = link['signature']!
  const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1)
  const cases: Array<[string, Record<string, unknown>]> = [
    ['a used link', link],
    ['an unknown user_id', { ...link, user_id: '999999' }],
    ['an unknown integer user_id', { ...link, user_id: 999999 }],
    ['a user_id that is no integer', { ...link, user_id: 'alice' }],
    ['a wrong signature', { ...link, signature: flipped }],
    ['a malformed signature', { ...link, signature: 'not-a-signature' }],
    ['a tampered timestamp', { ...link, timestamp: String(Number(link['timestamp']) - 1) }],
    ['an inactive user', { ...dormantLink }],
    ['another user\'s id', { ...link, user_id: String(Number(alice.id) + 1) }]
  ]
  const replies = []
  for (const [name, params] of cases) {
    replies.push({ name, seen: observable(await h.post(RESET, { ...params, password: 'An0ther-fine-password' }, {}, `10.3.0.${replies.length}`)) })
  }
  for (const { name, seen } of replies) t.same(seen, replies[0]!.seen, `${name} is answered like a used link`)
  t.same(JSON.parse(Buffer.from(replies[0]!.seen.body, 'hex').toString()), {
    statusCode: 400, code: 'FST_RESET_PASSWORD_INVALID_SIGNATURE', error: 'Bad Request', message: 'Invalid signature'
  })
})

t.test('no password-policy message is shown before the link is proven valid', async (t) => {
  const h = await buildApp(t, { plugin: { ...DEFAULT_LIMITS, passwordConfirm: true } })
  if (h === null) return
  await h.addUser({ username: 'alice', email: 'alice@example.com' })
  const link = await mailedLink(h, 'alice')
  const invalid = { ...link, user_id: '999999' }
  const reference = observable(await h.post(RESET, { ...invalid, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD }))
  const weak: Array<[string, string, string]> = [
    ['too short', 'short', 'short'],
    ['entirely numeric', '1234567890', '1234567890'],
    ['too common', 'password', 'password'],
    ['too similar', 'alice@example.com', 'alice@example.com'],
    ['too long', 'x'.repeat(300), 'x'.repeat(300)],
    ['not confirmed', NEW_PASSWORD, 'something-else']
  ]
  for (const [name, password, confirm] of weak) {
    const res = await h.post(RESET, { ...invalid, password, password_confirm: confirm }, {}, '10.4.0.1')
    t.same(observable(res), reference, `${name}: Invalid signature, nothing about the password`)
    t.notOk('reasons' in res.json())
  }

  h.clock.now += 3601 * 1000
  const expired = await h.post(RESET, { ...link, password: 'short', password_confirm: 'other' }, {}, '10.4.0.2')
  t.match(expired.json(), { code: 'FST_RESET_PASSWORD_SIGNATURE_EXPIRED' }, 'an expired link says so, and nothing about the password')
  t.notOk('reasons' in expired.json())
})
