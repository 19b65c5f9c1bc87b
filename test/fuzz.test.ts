import t from 'tap'
import fc from 'fast-check'
import type { Test } from 'tap'
import { buildApp, NEW_PASSWORD, PREFIX, type TestApp } from './helpers/app.js'

const ROUTES = ['send-reset-password-link', 'reset-password', 'verify-reset-password-link'] as const
// Modest: the whole file runs in well under 30 s on both databases.
const RUNS = 200

// No generated login can be these, so any mail at all would be a bug.
const USERNAME = 'fuzz-target-5d1e8c0b'
const EMAIL = 'fuzz-target-5d1e8c0b@example.com'

/** Values of every JSON type and then some: unicode strings with lone surrogates, NUL, huge numbers. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.stringMatching(/^[0-9]{0,25}$/),
  fc.stringMatching(/^[A-Za-z0-9_-]{40,46}$/),
  fc.constantFrom('', '\u0000', '0', '-1', '1e3', ' 1', '01', '9'.repeat(19), '__proto__', 'constructor', USERNAME.toUpperCase()),
  fc.double(),
  fc.integer(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -0, 2 ** 53 + 2, 1e308)
)

const resetShaped = fc.record({
  user_id: anyValue,
  timestamp: anyValue,
  signature: anyValue,
  password: anyValue,
  password_confirm: anyValue,
  extra: anyValue
}, { requiredKeys: [] })

const contentType = fc.oneof(
  fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x', 'application/octet-stream', 'application/json; charset=utf-16', 'application/json;', ''),
  fc.stringMatching(/^[\x20-\x7e]{0,40}$/)
)

const rawBody = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(text)),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.jsonValue({ maxDepth: 3 }).map((value) => Buffer.from(JSON.stringify(value) ?? '')),
  // JSON text cut short or with a byte flipped.
  fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([value, at, byte]) => {
    const bytes = Buffer.from(JSON.stringify(value) ?? '')
    if (bytes.length > 0) bytes[at % bytes.length] = byte
    return bytes.subarray(0, bytes.length - (at % 3))
  })
)

interface Fixture {
  readonly h: TestApp
  readonly id: string
  readonly hash: string
  readonly counts: { links: number, resets: number }
}

async function fixture (t: Test, dialect: 'sqlite' | 'postgres'): Promise<Fixture | null> {
  const h = await buildApp(t, { dialect })
  if (h === null) return null
  const user = await h.addUser({ username: USERNAME, email: EMAIL })
  const counts = { links: 0, resets: 0 }
  h.app.resetPassword.on('linkCreated', () => { counts.links++ })
  h.app.resetPassword.on('passwordReset', () => { counts.resets++ })
  return { h, id: user.id, hash: await h.hashOf(user.id), counts }
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  t.test(`fuzzed requests never get a 5xx, never change a password and never send mail (${dialect})`, async (t) => {
    const f = await fixture(t, dialect)
    if (f === null) return
    const { h, id, hash, counts } = f
    const post = async (route: string, payload: Buffer | string, type: string) => await h.app.inject({
      method: 'POST',
      url: `${PREFIX}/${route}`,
      headers: type === '' ? {} : { 'content-type': type },
      payload
    })
    const noServerError = (statusCode: number): boolean => statusCode >= 200 && statusCode < 500

    t.test('arbitrary JSON values', async () => {
      await fc.assert(fc.asyncProperty(fc.constantFrom(...ROUTES), anyValue, async (route, value) => {
        const res = await post(route, JSON.stringify(value) ?? 'null', 'application/json')
        return noServerError(res.statusCode) && !(route !== 'send-reset-password-link' && res.statusCode === 200)
      }), { numRuns: RUNS })
    })

    t.test('objects shaped like a reset, with arbitrary field values', async () => {
      await fc.assert(fc.asyncProperty(resetShaped, fc.boolean(), async (body, forUser) => {
        const payload = forUser ? { ...body, user_id: id } : body
        const res = await post('reset-password', JSON.stringify(payload), 'application/json')
        return res.statusCode === 400
      }), { numRuns: RUNS })
    })

    t.test('objects shaped like a send-link request, with arbitrary logins', async () => {
      await fc.assert(fc.asyncProperty(anyValue, async (login) => {
        const res = await post('send-reset-password-link', JSON.stringify({ login }), 'application/json')
        return typeof login === 'string' && login.length >= 1 && login.length <= 254 ? res.statusCode === 200 : res.statusCode === 400
      }), { numRuns: RUNS })
    })

    t.test('raw bodies with random content types', async () => {
      await fc.assert(fc.asyncProperty(fc.constantFrom(...ROUTES), rawBody, contentType, async (route, payload, type) => {
        const res = await post(route, payload, type)
        return noServerError(res.statusCode) && !(route !== 'send-reset-password-link' && res.statusCode === 200)
      }), { numRuns: RUNS })
    })

    t.test('a valid link with one field changed', async () => {
      const link = h.app.resetPassword.signer.sign({ id, email: EMAIL, passwordHash: hash })
      const tamper = fc.oneof(
        fc.record({ field: fc.constant('signature' as const), at: fc.nat(42), char: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') }),
        fc.record({ field: fc.constant('timestamp' as const), delta: fc.integer({ min: -100_000, max: 100_000 }).filter((d) => d !== 0) }),
        fc.record({ field: fc.constant('user_id' as const), other: fc.oneof(fc.nat(), fc.string({ maxLength: 20 })) })
      )
      await fc.assert(fc.asyncProperty(tamper, async (change) => {
        const body: Record<string, unknown> = { ...link, password: NEW_PASSWORD }
        if (change.field === 'signature') {
          const s = link.signature
          if (s[change.at] === change.char) return true
          body['signature'] = s.slice(0, change.at) + change.char + s.slice(change.at + 1)
        } else if (change.field === 'timestamp') {
          body['timestamp'] = String(Number(link.timestamp) + change.delta)
        } else {
          if (String(change.other) === id) return true
          body['user_id'] = change.other
        }
        const res = await post('reset-password', JSON.stringify(body), 'application/json')
        return res.statusCode === 400
      }), { numRuns: RUNS })
    })

    t.test('afterwards', async (t) => {
      t.equal(await h.hashOf(id), hash, 'the password is unchanged')
      t.equal(counts.resets, 0)
      t.equal(counts.links, 0, 'no link was made, so no mail was sent')
      await h.app.close()
      t.same(h.sink.mails, [], 'the SMTP sink got nothing')
    })
  })
}

t.test('the fuzzing setup can see a reset: the same app resets with a valid link', async (t) => {
  const f = await fixture(t, 'sqlite')
  if (f === null) return
  const link = f.h.app.resetPassword.signer.sign({ id: f.id, email: EMAIL, passwordHash: f.hash })
  t.equal((await f.h.post('reset-password', { ...link, password: NEW_PASSWORD })).statusCode, 200)
  t.not(await f.h.hashOf(f.id), f.hash)
  t.equal(f.counts.resets, 1)
})
