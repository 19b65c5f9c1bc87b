import t from 'tap'
import type { Test } from 'tap'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { Redis } from 'ioredis'
import resetPassword, { kyselyUsers, type ResetLinkParams, type UserAdapter } from '../lib/index.js'
import { openDatabase, createUsersTable, insertUser, type TestDB } from './helpers/db.js'
import { startProxy, type Proxy } from './helpers/proxy.js'
import { openRedis } from './helpers/redis.js'
import { buildApp, cheapHash, NEW_PASSWORD, SECRET, VERIFICATION_URL } from './helpers/app.js'
import { userNamed } from './helpers/links.js'

// Short, so the suite does not wait out the 2 s default; what is tested is that the plugin bounds the wait at all.
const STORE_TIMEOUT = 300
const UNAVAILABLE = {
  statusCode: 503,
  code: 'FST_RESET_PASSWORD_UNAVAILABLE',
  error: 'Service Unavailable',
  message: 'Service temporarily unavailable, try again later'
}
const GENEROUS = { max: 1000, timeWindow: 60_000 }

// The store client reconnects on its own schedule (ioredis backs off up to 2 s): ask until it answers.
async function untilServed (send: () => Promise<LightMyRequestResponse>): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const res = await send()
    if (res.statusCode !== 503) return res.statusCode
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return 503
}

/** An ioredis client at its defaults (20 retries per command, no command timeout), through a proxy to the test's Redis. */
async function redisBehindProxy (t: Test): Promise<{ client: Redis, proxy: Proxy } | null> {
  const redis = await openRedis(t)
  if (redis === null) return null
  const target = new URL(redis.url)
  const proxy = await startProxy(t, { host: target.hostname, port: Number(target.port) })
  const via = new URL(target)
  via.host = `127.0.0.1:${proxy.port}`
  // keyPrefix keeps the test's keys apart; every other setting is ioredis's default.
  const client = new Redis(via.href, { keyPrefix: redis.prefix })
  // ioredis reports each failed reconnection as 'error'; an app listens too, or they go to the console.
  client.on('error', () => {})
  t.teardown(() => { client.disconnect() })
  return { client, proxy }
}

for (const fault of ['down', 'blackHole'] as const) {
  t.test(`with Redis ${fault === 'down' ? 'refusing connections' : 'a black hole'}, an ioredis client at its defaults gets the 503 within storeTimeout, and requests pass again once Redis is back`, async (t) => {
    const redis = await redisBehindProxy(t)
    if (redis === null) return
    const h = await buildApp(t, {
      plugin: { storeTimeout: STORE_TIMEOUT, rateLimit: { redis: redis.client, sendLink: { perIp: GENEROUS, perLogin: GENEROUS }, resetPassword: { perIp: GENEROUS } } }
    })
    if (h === null) return
    await userNamed(h, 'alice')
    const send = async (): Promise<LightMyRequestResponse> => await h.post('send-reset-password-link', { login: 'alice' })
    t.equal((await send()).statusCode, 200)

    if (fault === 'down') await redis.proxy.down()
    else redis.proxy.blackHole()
    const res = await send()
    t.equal(res.statusCode, 503)
    t.same(res.json(), UNAVAILABLE)
    t.same((await h.post('reset-password', { user_id: '1', timestamp: 1, signature: 'x', password: NEW_PASSWORD })).json(), UNAVAILABLE)

    await redis.proxy.up()
    t.equal(await untilServed(send), 200, 'served again, without a restart')
  })
}

t.test('with PostgreSQL a black hole, then refusing connections, a pg pool at its defaults gets the 503 within storeTimeout on both routes, and recovers', async (t) => {
  const app = await postgresApp(t)
  if (app === null) return
  const { post, proxy, link } = app
  t.equal((await post('/send-reset-password-link', { login: 'alice' })).statusCode, 200)

  proxy.blackHole()
  for (const login of ['alice', 'nobody']) t.same((await post('/send-reset-password-link', { login })).json(), UNAVAILABLE, login)
  t.same((await post('/reset-password', { ...link, password: NEW_PASSWORD })).json(), UNAVAILABLE)
  await proxy.up()
  t.equal(await untilServed(async () => await post('/send-reset-password-link', { login: 'alice' })), 200)

  await proxy.down()
  t.same((await post('/send-reset-password-link', { login: 'alice' })).json(), UNAVAILABLE)
  await proxy.up()
  t.equal(await untilServed(async () => await post('/send-reset-password-link', { login: 'alice' })), 200)
  t.equal((await post('/reset-password', { ...link, password: NEW_PASSWORD })).statusCode, 200)
})

t.test('a password write that lands after its timeout answered 503 still takes effect whole: passwordReset and the notice follow it', async (t) => {
  const app = await postgresApp(t, (proxy, users) => ({
    ...users,
    // The write is the one call the black hole catches: the lookup before it was answered.
    async replacePasswordHash (id, expected, hash) {
      proxy.blackHole()
      return await users.replacePasswordHash(id, expected, hash)
    }
  }))
  if (app === null) return
  const { post, proxy, link, fastify, delivered, hashOf } = app
  const before = await hashOf()
  const reset = new Promise<string>((resolve) => fastify.resetPassword.once('passwordReset', ({ user }) => { resolve(user.passwordHash) }))
  const notice = new Promise<void>((resolve) => fastify.resetPassword.on('mailSent', ({ kind }) => { if (kind === 'changed-notice') resolve() }))

  t.same((await post('/reset-password', { ...link, password: NEW_PASSWORD })).json(), UNAVAILABLE)
  t.equal(await hashOf(), before, 'nothing written yet: the write is held')
  await proxy.up()
  const hash = await reset
  await notice
  t.equal(await hashOf(), hash, 'the late write is the one stored, and the one passwordReset reports')
  t.not(hash, before)
  t.same(delivered, ['alice@example.com'], 'the changed notice was sent once')
  t.equal((await post('/reset-password', { ...link, password: NEW_PASSWORD })).statusCode, 400, 'the link is used up: a retry cannot reset twice')
})

interface PostgresApp {
  readonly fastify: FastifyInstance
  readonly proxy: Proxy
  readonly link: ResetLinkParams
  readonly delivered: string[]
  post (url: string, body: unknown): Promise<LightMyRequestResponse>
  hashOf (): Promise<string>
}

// The plugin on a pg pool at its defaults that reaches PostgreSQL through a proxy, with alice and a link of hers.
async function postgresApp (t: Test, wrap: (proxy: Proxy, users: UserAdapter) => UserAdapter = (_proxy, users) => users): Promise<PostgresApp | null> {
  const direct = await openDatabase(t, 'postgres')
  if (direct === null) return null
  const table = await createUsersTable(direct, 'postgres')
  const id = await insertUser(direct, table, { username: 'alice', email: 'alice@example.com', passwordHash: await cheapHash('old-password') })
  const target = new URL(process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test')
  const proxy = await startProxy(t, { host: target.hostname, port: Number(target.port) })
  const via = new URL(target)
  via.host = `127.0.0.1:${proxy.port}`
  const pool = new pg.Pool({ connectionString: via.href })
  // node-postgres crashes the process on a cut connection nobody listens to: every app using pg listens.
  pool.on('error', () => {})
  pool.on('connect', (client) => { client.on('error', () => {}) })
  const db = new Kysely<TestDB>({ dialect: new PostgresDialect({ pool }) })
  t.teardown(async () => { await proxy.close(); await db.destroy() })
  const delivered: string[] = []
  const fastify = Fastify()
  t.teardown(async () => { await fastify.close() })
  await fastify.register(resetPassword, {
    secret: SECRET,
    verificationUrl: VERIFICATION_URL,
    users: wrap(proxy, kyselyUsers(db, { table })),
    deliver: (message) => { delivered.push(message.to) },
    rateLimit: false,
    storeTimeout: STORE_TIMEOUT,
    password: { hash: cheapHash },
    mail: { from: 'no-reply@example.com' }
  })
  const user = await fastify.resetPassword.users.findById(id)
  delivered.length = 0
  return {
    fastify,
    proxy,
    link: fastify.resetPassword.signer.sign(user!),
    delivered,
    post: async (url, body) => await fastify.inject({ method: 'POST', url, payload: body as object }),
    hashOf: async () => (await direct.selectFrom(table).select('password_hash').where('id', '=', Number(id)).executeTakeFirstOrThrow()).password_hash
  }
}
