import t from 'tap'
import Fastify from 'fastify'
import fastifyRateLimit from '@fastify/rate-limit'
import { Redis } from 'ioredis'
import resetPassword, { type ResetPasswordOptions, type UserAdapter } from '../lib/index.js'
import { loginKey, rateLimitDefaults } from '../lib/rate-limit.js'
import { buildApp, NEW_PASSWORD, type TestApp } from './helpers/app.js'
import { linkFrom } from './helpers/smtp.js'
import { openRedis } from './helpers/redis.js'

const SEND = 'send-reset-password-link'
const RESET = 'reset-password'
// Limits on: the helper turns them off unless told otherwise.
const DEFAULT_LIMITS = { rateLimit: undefined }

const badReset = (userId: string) => ({ user_id: userId, timestamp: '1767225600', signature: 'A'.repeat(43), password: NEW_PASSWORD })

async function statuses (requests: Array<() => Promise<{ statusCode: number }>>): Promise<number[]> {
  const codes: number[] = []
  for (const request of requests) codes.push((await request()).statusCode)
  return codes
}

const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i))

async function resetWithMailedLink (h: TestApp, ip: string, index: number): Promise<number> {
  const mails = await h.sink.waitForMails(index + 1)
  const link = linkFrom(mails[index]!)
  const params = Object.fromEntries(link.searchParams)
  const res = await h.post(RESET, { ...params, password: NEW_PASSWORD }, {}, ip)
  return res.statusCode
}

t.test('the limits are on by default, with the documented defaults', async (t) => {
  t.same(rateLimitDefaults, {
    sendLinkPerIp: { max: 10, timeWindow: '1 minute' },
    sendLinkPerLogin: { max: 3, timeWindow: '15 minutes' },
    sendLinkPerAccount: { max: 3, timeWindow: '15 minutes' },
    resetPerIp: { max: 20, timeWindow: '1 minute' },
    resetPerUser: { max: 10, timeWindow: '15 minutes' }
  })
  const h = await buildApp(t, { plugin: DEFAULT_LIMITS })
  if (h === null) return

  t.test('send-link: 10 per client IP per minute', async (t) => {
    const codes = await statuses(times(11, (i) => () => h.post(SEND, { login: `ip-${i}@example.com` }, {}, '10.1.0.1')))
    t.same(codes, [...times(10, () => 200), 429])
    const limited = await h.post(SEND, { login: 'another@example.com' }, {}, '10.1.0.1')
    t.equal(limited.statusCode, 429)
    t.match(limited.json(), { statusCode: 429, code: 'FST_RESET_PASSWORD_RATE_LIMITED', error: 'Too Many Requests' })
    t.ok(Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 60)
    t.equal((await h.post(SEND, { login: 'another@example.com' }, {}, '10.1.0.2')).statusCode, 200, 'another IP is not limited')
  })

  t.test('send-link: 3 per login per 15 minutes, whichever IP asks', async (t) => {
    const codes = await statuses(times(4, (i) => () => h.post(SEND, { login: 'bombed@example.com' }, {}, `10.2.0.${i}`)))
    t.same(codes, [200, 200, 200, 429])
    const limited = await h.post(SEND, { login: 'bombed@example.com' }, {}, '10.2.0.99')
    t.equal(limited.json().code, 'FST_RESET_PASSWORD_RATE_LIMITED')
    t.ok(Number(limited.headers['retry-after']) > 14 * 60 && Number(limited.headers['retry-after']) <= 15 * 60)
  })

  t.test('reset-password: 20 per client IP per minute', async (t) => {
    const codes = await statuses(times(21, (i) => () => h.post(RESET, badReset(String(1000 + i)), {}, '10.3.0.1')))
    t.same(codes, [...times(20, () => 400), 429])
  })

  t.test('reset-password: 10 per user_id and client IP per 15 minutes', async (t) => {
    const codes = await statuses(times(11, () => () => h.post(RESET, badReset('77'), {}, '10.4.0.1')))
    t.same(codes, [...times(10, () => 400), 429])
    const limited = await h.post(RESET, badReset('77'), {}, '10.4.0.1')
    t.ok(Number(limited.headers['retry-after']) > 14 * 60)
    t.equal((await h.post(RESET, badReset('78'), {}, '10.4.0.1')).statusCode, 400, 'another user_id is not limited')
  })
})

t.test('case, Unicode and whitespace variants of one login share one per-login bucket', async (t) => {
  const h = await buildApp(t, { plugin: DEFAULT_LIMITS })
  if (h === null) return
  // The last two are fullwidth forms, which NFKC maps to ASCII.
  const variants = ['Alice@Example.com', '  alice@example.com\t', 'ALICE@EXAMPLE.COM', '\uff41lice@example.com', 'ＡＬＩＣＥ＠ｅｘａｍｐｌｅ．ｃｏｍ']
  const codes = await statuses(variants.map((login, i) => () => h.post(SEND, { login }, {}, `10.5.0.${i}`)))
  t.same(codes, [200, 200, 200, 429, 429])
  t.equal(loginKey('STRAẞE@example.com'), loginKey('strasse@example.com'), 'full case folding: ẞ is ss')
  t.equal(loginKey('\u212Aelvin@example.com'), loginKey('kelvin@example.com'), 'NFKC: the Kelvin sign is K')
  t.not(loginKey('alice@example.com'), loginKey('alice@example.co'))
  t.equal((await h.post(SEND, { login: 'bob@example.com' }, {}, '10.5.0.9')).statusCode, 200, 'another login has its own bucket')
})

t.test('an attacker who exhausts a user\'s reset attempts from one IP does not lock the user out from another', async (t) => {
  const h = await buildApp(t, { plugin: DEFAULT_LIMITS })
  if (h === null) return
  const victim = await h.addUser({ username: 'victim', email: 'victim@example.com' })
  t.equal((await h.post(SEND, { login: 'victim' }, {}, '192.0.2.10')).statusCode, 200)
  const attack = await statuses(times(11, () => () => h.post(RESET, badReset(victim.id), {}, '198.51.100.66')))
  t.equal(attack.at(-1), 429, 'the attacker is limited')
  t.equal(await resetWithMailedLink(h, '192.0.2.10', 0), 200, 'the victim still resets')
})

t.test('IPv6 clients are counted per /64', async (t) => {
  const h = await buildApp(t, { plugin: DEFAULT_LIMITS })
  if (h === null) return
  const codes = await statuses(times(11, (i) => () => h.post(SEND, { login: `v6-${i}@example.com` }, {}, `2001:db8:0:1::${i + 1}`)))
  t.same(codes, [...times(10, () => 200), 429], 'addresses of one /64 share a bucket')
  t.equal((await h.post(SEND, { login: 'v6@example.com' }, {}, '2001:db8:0:2::1')).statusCode, 200, 'another /64 has its own')
})

t.test('a spoofed X-Forwarded-For gives no fresh bucket when the app did not set trustProxy', async (t) => {
  const h = await buildApp(t, { plugin: DEFAULT_LIMITS })
  if (h === null) return
  const codes = await statuses(times(11, (i) => () => h.post(SEND, { login: `xff-${i}@example.com` }, { 'x-forwarded-for': `203.0.113.${i}` })))
  t.same(codes, [...times(10, () => 200), 429])
})

t.test('with trustProxy, each X-Forwarded-For client has its own bucket', async (t) => {
  const h = await buildApp(t, { plugin: DEFAULT_LIMITS, fastify: { trustProxy: true } })
  if (h === null) return
  const spread = await statuses(times(15, (i) => () => h.post(SEND, { login: `xff-${i}@example.com` }, { 'x-forwarded-for': `203.0.113.${i}` })))
  t.same(spread, times(15, () => 200))
  const one = await statuses(times(11, (i) => () => h.post(SEND, { login: `one-${i}@example.com` }, { 'x-forwarded-for': '203.0.113.200' })))
  t.same(one, [...times(10, () => 200), 429], 'one forwarded client is still limited')
})

t.test('limits can be configured, and turned off with false', async (t) => {
  const h = await buildApp(t, { plugin: { rateLimit: { sendLink: { perLogin: { max: 1, timeWindow: 2000 } } } } })
  if (h === null) return
  t.same(await statuses(times(2, (i) => () => h.post(SEND, { login: 'once@example.com' }, {}, `10.6.0.${i}`))), [200, 429])
  const limited = await h.post(SEND, { login: 'once@example.com' }, {}, '10.6.0.9')
  t.ok(Number(limited.headers['retry-after']) <= 2)
  t.match(limited.json().message, /^Too many requests, retry in [12] seconds$/)

  const off = await buildApp(t, { plugin: { rateLimit: false } })
  if (off === null) return
  t.same(await statuses(times(30, () => () => off.post(SEND, { login: 'often@example.com' }))), times(30, () => 200))
})

t.test("the app's own @fastify/rate-limit registration is reused, and the plugin's limiters count in its store", async (t) => {
  const seen: string[] = []
  // A custom store, as @fastify/rate-limit documents it, that records every key it counts.
  class RecordingStore {
    readonly #counts = new Map<string, number>()
    incr (key: string, callback: (err: Error | null, result: { current: number, ttl: number }) => void, timeWindow: number): void {
      seen.push(key)
      const current = (this.#counts.get(key) ?? 0) + 1
      this.#counts.set(key, current)
      callback(null, { current, ttl: timeWindow })
    }

    child (): RecordingStore {
      return this
    }
  }
  const h = await buildApp(t, {
    plugin: DEFAULT_LIMITS,
    before: async (app) => await app.register(fastifyRateLimit, {
      global: false,
      store: RecordingStore,
      allowList: (request) => request.headers['x-internal-check'] === 'health'
    })
  })
  if (h === null) return
  t.equal((await h.post(SEND, { login: 'Reused@Example.com' })).statusCode, 200)
  t.same(seen, ['reset-password:send-link:ip:127.0.0.1', `reset-password:send-link:login:${loginKey('reused@example.com')}`])
  t.equal((await h.post(RESET, badReset('5'))).statusCode, 400)
  t.same(seen.slice(2), ['reset-password:reset:ip:127.0.0.1', 'reset-password:reset:user:5:127.0.0.1'])

  const exempt = await statuses(times(5, () => () => h.post(SEND, { login: 'reused@example.com' }, { 'x-internal-check': 'health' })))
  t.same(exempt, times(5, () => 200), "the app's allowList applies to the plugin's limiters too")
  t.same(await statuses(times(3, () => () => h.post(SEND, { login: 'reused@example.com' }))), [200, 200, 429])
})

t.test("an app-wide global limit does not switch off the plugin's own limits", async (t) => {
  const h = await buildApp(t, {
    plugin: DEFAULT_LIMITS,
    before: async (app) => await app.register(fastifyRateLimit, { max: 1000, timeWindow: '1 minute' })
  })
  if (h === null) return
  const codes = await statuses(times(4, (i) => () => h.post(SEND, { login: 'global@example.com' }, {}, `10.7.0.${i}`)))
  t.same(codes, [200, 200, 200, 429])
  const last = await h.post(SEND, { login: 'global-2@example.com' }, {}, '10.7.0.9')
  t.equal(last.headers['x-ratelimit-limit'], '1000', "the app's own limit still runs on the plugin's routes")
})

t.test('rateLimit.redis shares the limits across two app instances', async (t) => {
  const redis = await openRedis(t)
  if (redis === null) return
  const limits = { rateLimit: { redis: redis.client() } }
  const one = await buildApp(t, { plugin: limits })
  const two = await buildApp(t, { plugin: { rateLimit: { redis: redis.client() } } })
  if (one === null || two === null) return
  const login = 'shared@example.com'
  const codes = await statuses([
    () => one.post(SEND, { login }, {}, '10.8.0.1'),
    () => two.post(SEND, { login }, {}, '10.8.0.2'),
    () => one.post(SEND, { login }, {}, '10.8.0.3'),
    () => two.post(SEND, { login }, {}, '10.8.0.4'),
    () => one.post(SEND, { login }, {}, '10.8.0.5')
  ])
  t.same(codes, [200, 200, 200, 429, 429])
  const keys = await redis.keys()
  const bucket = keys.find((key) => key.endsWith(`reset-password:send-link:login:${loginKey(login)}`))
  t.match(bucket, /^fastify-reset-password:/, "the counters live in Redis, under the plugin's namespace")
  t.ok(keys.every((key) => key.startsWith('fastify-reset-password:')))
})

t.test('a rate-limit store that fails answers 503, never 500', async (t) => {
  // Nothing listens on port 1, and without the offline queue every command fails at once.
  const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
  down.on('error', () => {})
  t.teardown(() => { down.disconnect() })
  const h = await buildApp(t, { plugin: { rateLimit: { redis: down } } })
  if (h === null) return
  const res = await h.post(SEND, { login: 'anyone@example.com' })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'FST_RESET_PASSWORD_UNAVAILABLE')
  t.equal((await h.post(RESET, badReset('1'))).statusCode, 503)
})

t.test('rate-limit options are checked at register time, with an error naming the option', async (t) => {
  const users: UserAdapter = { findByLogin: async () => [], findById: async () => null, replacePasswordHash: async () => false }
  const base: ResetPasswordOptions = {
    secret: 'a-secret-of-at-least-thirty-two-characters',
    verificationUrl: 'https://frontend.example/reset/',
    users,
    deliver: () => {}
  }
  const cases: Array<[unknown, string]> = [
    ['on', 'rateLimit'],
    [null, 'rateLimit'],
    [{ redis: 'redis://127.0.0.1' }, 'rateLimit.redis'],
    [{ redis: null }, 'rateLimit.redis'],
    [{ sendLink: { perIp: { max: 0, timeWindow: 1000 } } }, 'rateLimit.sendLink.perIp'],
    [{ sendLink: { perLogin: { max: 1.5, timeWindow: 1000 } } }, 'rateLimit.sendLink.perLogin'],
    [{ sendLink: { perLogin: null } }, 'rateLimit.sendLink.perLogin'],
    [{ resetPassword: { perIp: { max: 1, timeWindow: '' } } }, 'rateLimit.resetPassword.perIp'],
    [{ resetPassword: { perUser: { max: 1, timeWindow: 0 } } }, 'rateLimit.resetPassword.perUser'],
    [{ resetPassword: { perUser: { max: 1, timeWindow: 1.5 } } }, 'rateLimit.resetPassword.perUser'],
    [{ resetPassword: { perUser: 5 } }, 'rateLimit.resetPassword.perUser']
  ]
  for (const [rateLimit, name] of cases) {
    const app = Fastify()
    t.teardown(async () => { await app.close() })
    await t.rejects(async () => { await app.register(resetPassword, { ...base, rateLimit: rateLimit as ResetPasswordOptions['rateLimit'] }) }, {
      code: 'FST_RESET_PASSWORD_INVALID_OPTION',
      message: new RegExp(`option "${name.replaceAll('.', '\\.')}" must`)
    }, `${JSON.stringify(rateLimit)} names ${name}`)
  }
})
