import t from 'tap'
import type { Test } from 'tap'
import Fastify from 'fastify'
import fastifyRateLimit from '@fastify/rate-limit'
import { Redis } from 'ioredis'
import resetPassword, { kyselyUsers, type ResetPasswordOptions } from '../lib/index.js'
import { buildApp, cheapHash, PREFIX, SECRET, VERIFICATION_URL, type TestApp } from './helpers/app.js'
import { userNamed } from './helpers/links.js'
import { openRedis } from './helpers/redis.js'

const SEND = 'send-reset-password-link'
// The per-IP and per-login-string limits out of the way: what is tested is the cap per account.
const LOOSE = { max: 100, timeWindow: 60_000 }

/** A second instance of `h`'s app: the same users table and SMTP sink, its own plugin options. */
async function secondInstance (t: Test, h: TestApp, plugin: Partial<ResetPasswordOptions>): Promise<TestApp['post']> {
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  await app.register(resetPassword, {
    prefix: PREFIX,
    secret: SECRET,
    verificationUrl: VERIFICATION_URL,
    users: kyselyUsers(h.db, { table: h.table }),
    password: { hash: cheapHash },
    now: () => h.clock.now,
    mail: { transport: h.sink.url, from: 'no-reply@example.com', unknownAccountNotice: true },
    ...plugin
  })
  return async (route, body) => await app.inject({ method: 'POST', url: `${PREFIX}/${route}`, payload: body as object })
}

t.test('the mail cap is per account: however the login is spelled, mail past the cap is not sent, and the reply stays the same', async (t) => {
  const h = await buildApp(t, { plugin: { rateLimit: { sendLink: { perIp: LOOSE, perLogin: LOOSE } } } })
  if (h === null) return
  await userNamed(h, 'alice')
  const events: string[] = []
  h.app.resetPassword.on('mailSent', ({ kind }) => { events.push(`sent ${kind}`) })
  h.app.resetPassword.on('mailFailed', ({ kind }) => { events.push(`failed ${kind}`) })
  const replies = []
  for (const login of ['alice', 'alice@example.com', 'ALICE', 'Alice@Example.com', 'alice']) {
    const res = await h.post(SEND, { login })
    replies.push([res.statusCode, res.body])
  }
  const first = replies[0]
  t.ok(replies.every((reply) => reply[0] === 200 && reply[1] === first?.[1]), 'five identical 200s')
  await h.app.close()
  t.equal(h.sink.mails.length, 3, 'three mails, the default cap per 15 minutes')
  t.same(events, ['sent link', 'sent link', 'sent link'], 'the capped requests are neither sent nor reported')
})

t.test('the cap is rateLimit.sendLink.perAccount, and an account gets mail again once its window has passed', async (t) => {
  const h = await buildApp(t, { plugin: { rateLimit: { sendLink: { perIp: LOOSE, perLogin: LOOSE, perAccount: { max: 1, timeWindow: 3600_000 } } } } })
  if (h === null) return
  await userNamed(h, 'alice')
  await userNamed(h, 'bob')
  await h.post(SEND, { login: 'alice' })
  await h.post(SEND, { login: 'alice@example.com' })
  await h.post(SEND, { login: 'bob' })
  await h.sink.waitForMails(2)
  h.clock.now += 3600_000
  await h.post(SEND, { login: 'alice' })
  await h.app.close()
  t.same(h.sink.mails.map(({ to }) => to), [['alice@example.com'], ['bob@example.com'], ['alice@example.com']])
})

t.test('with rate limits off, mail is counted but never capped', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  await userNamed(h, 'alice')
  for (let i = 0; i < 5; i++) await h.post(SEND, { login: 'alice' })
  await h.app.close()
  t.equal(h.sink.mails.length, 5)
})

t.test('with rateLimit.redis the cap and the unknown-account notice are shared by every instance', async (t) => {
  const redis = await openRedis(t)
  if (redis === null) return
  const limits = { redis: redis.client(), sendLink: { perIp: LOOSE, perLogin: LOOSE } }
  const h = await buildApp(t, { plugin: { rateLimit: limits, mail: { from: 'no-reply@example.com', unknownAccountNotice: true } } })
  if (h === null) return
  const other = await secondInstance(t, h, { rateLimit: { ...limits, redis: redis.client() } })
  await userNamed(h, 'alice')
  await h.post(SEND, { login: 'alice' })
  await other(SEND, { login: 'alice@example.com' })
  await h.post(SEND, { login: 'ALICE' })
  await other(SEND, { login: 'alice' })
  await h.post(SEND, { login: 'nobody@example.com' })
  await other(SEND, { login: 'NOBODY@example.com' })
  await h.sink.waitForMails(4)
  await h.app.close()
  const to = h.sink.mails.map((mail) => mail.to[0]).sort()
  t.same(to, ['alice@example.com', 'alice@example.com', 'alice@example.com', 'nobody@example.com'])
  const keys = await redis.keys()
  t.ok(keys.some((key) => /^fastify-reset-password:mail:account:\d+$/.test(key)), 'the count lives in Redis, by account id')
  t.ok(keys.every((key) => !key.includes('alice') && !key.includes('nobody')), 'no login is stored in the clear')
})

t.test('a shared store that fails answers 503 for known and unknown logins alike, even behind the app\'s own limiter', async (t) => {
  // Nothing listens on port 1, and without the offline queue every command fails at once.
  const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
  down.on('error', () => {})
  t.teardown(() => { down.disconnect() })
  const h = await buildApp(t, {
    plugin: { rateLimit: { redis: down } },
    // The app's own limiter (in memory) answers, so the failure is the shared store's alone.
    before: async (app) => await app.register(fastifyRateLimit, { global: false })
  })
  if (h === null) return
  await userNamed(h, 'alice')
  for (const login of ['alice', 'nobody@example.com']) {
    const res = await h.post(SEND, { login })
    t.equal(res.statusCode, 503, login)
    t.equal(res.json().code, 'FST_RESET_PASSWORD_UNAVAILABLE')
  }
})
