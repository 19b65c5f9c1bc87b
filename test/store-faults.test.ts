import t from 'tap'
import Fastify from 'fastify'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import resetPassword, { kyselyUsers } from '../lib/index.js'
import { openDatabase, createUsersTable, insertUser, type TestDB } from './helpers/db.js'
import { startProxy } from './helpers/proxy.js'
import { cheapHash, SECRET, VERIFICATION_URL } from './helpers/app.js'

const UNAVAILABLE = {
  statusCode: 503,
  code: 'FST_RESET_PASSWORD_UNAVAILABLE',
  error: 'Service Unavailable',
  message: 'Service temporarily unavailable, try again later'
}

t.test('with the database down both routes answer one generic 503, and recover when it is back', async (t) => {
  const direct = await openDatabase(t, 'postgres')
  if (direct === null) return
  const table = await createUsersTable(direct, 'postgres')
  const id = await insertUser(direct, table, { username: 'alice', email: 'alice@example.com', passwordHash: await cheapHash('old-password') })
  const target = new URL(process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test')
  const proxy = await startProxy(t, { host: target.hostname, port: Number(target.port) })
  const viaProxy = new URL(target)
  viaProxy.host = `127.0.0.1:${proxy.port}`
  const pool = new pg.Pool({ connectionString: viaProxy.href, connectionTimeoutMillis: 1000 })
  // A pooled client whose socket is cut emits 'error' (on the pool when idle, on the client itself
  // otherwise), and node-postgres crashes the process when nobody listens: that is the app's pool,
  // so the test does what every app using pg must do.
  pool.on('error', () => {})
  pool.on('connect', (client) => { client.on('error', () => {}) })
  const db = new Kysely<TestDB>({ dialect: new PostgresDialect({ pool }) })
  t.teardown(async () => { await db.destroy() })
  const delivered: string[] = []
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  await app.register(resetPassword, {
    secret: SECRET,
    verificationUrl: VERIFICATION_URL,
    users: kyselyUsers(db, { table }),
    deliver: (message) => { delivered.push(message.to) },
    rateLimit: false,
    password: { hash: cheapHash }
  })
  const post = async (url: string, body: unknown): Promise<{ statusCode: number, json: () => unknown }> =>
    await app.inject({ method: 'POST', url, payload: body as object })

  t.equal((await post('/send-reset-password-link', { login: 'alice' })).statusCode, 200)
  const link = app.resetPassword.signer.sign((await app.resetPassword.users.findById(id))!)

  await proxy.down()
  for (const login of ['alice', 'nobody', 'alice@example.com']) {
    const res = await post('/send-reset-password-link', { login })
    t.equal(res.statusCode, 503, login)
    t.same(res.json(), UNAVAILABLE)
  }
  t.same((await post('/reset-password', { ...link, password: 'a-new-Passw0rd-that-is-fine' })).json(), UNAVAILABLE)

  await proxy.up()
  t.equal((await post('/send-reset-password-link', { login: 'alice' })).statusCode, 200)
  t.equal((await post('/reset-password', { ...link, password: 'a-new-Passw0rd-that-is-fine' })).statusCode, 200)
})
