import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import type { Kysely } from 'kysely'
import { verifyPassword } from '../lib/index.js'
import { cheapHash, NEW_PASSWORD, PREFIX, SECRET } from './helpers/app.js'
import { createUsersTable, insertUser, openDatabase, type TestDB } from './helpers/db.js'
import { openRedis } from './helpers/redis.js'
import { linkFrom, startSmtpSink, type ReceivedMail, type SmtpSink } from './helpers/smtp.js'

const INSTANCE = fileURLToPath(new URL('./fixtures/instance.ts', import.meta.url))
const PG_URL = process.env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test'
// Per-login stays at its default (3 per 15 minutes) to show it is shared; the reset limits are
// raised so twenty concurrent resets from one test client all reach the handler.
const RATE_LIMIT = { resetPassword: { perIp: { max: 100, timeWindow: 60_000 }, perUser: { max: 100, timeWindow: 60_000 } } }

interface Instance {
  post (route: string, body: unknown): Promise<{ status: number, body: Record<string, unknown> }>
}

/** Starts test/fixtures/instance.ts as its own process; stopped (and killed if it hangs) in teardown. */
async function startInstance (t: Test, env: Record<string, string>): Promise<Instance> {
  // Without tap's process tracking: tsx maps the child's coverage differently, and the in-process tests cover lib already.
  const untracked = { NODE_OPTIONS: '', _TAPJS_PROCESSINFO_COVERAGE_: '0' }
  const child: ChildProcess = fork(INSTANCE, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...untracked, ...env } })
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.send('stop')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  })
  const started = await Promise.race([
    once(child, 'message').then(([message]) => message as { port: number }),
    once(child, 'exit').then(([code]) => { throw new Error(`test/fixtures/instance.ts exited with ${String(code)} before listening`) })
  ])
  const base = `http://127.0.0.1:${started.port}${PREFIX}`
  return {
    async post (route, body) {
      const res = await fetch(`${base}/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return { status: res.status, body: await res.json() as Record<string, unknown> }
    }
  }
}

/** The first mail to `address`, waiting for it. */
async function mailTo (sink: SmtpSink, address: string): Promise<ReceivedMail> {
  for (let count = 1; ; count++) {
    const found = (await sink.waitForMails(count)).find((mail) => mail.to.includes(address))
    if (found !== undefined) return found
  }
}

async function hashOf (db: Kysely<TestDB>, table: string, id: string): Promise<string> {
  const row = await db.selectFrom(table).select('password_hash').where('id', '=', Number(id)).executeTakeFirstOrThrow()
  return row.password_hash
}

t.test('two instances in separate processes on one PostgreSQL table and one Redis', async (t) => {
  const db = await openDatabase(t, 'postgres')
  const redis = await openRedis(t)
  if (db === null || redis === null) return
  const table = await createUsersTable(db, 'postgres')
  const sink = await startSmtpSink(t)
  const env = {
    PG_URL,
    TABLE: table,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    SMTP_URL: sink.url,
    SECRET,
    RATE_LIMIT: JSON.stringify(RATE_LIMIT)
  }
  const [one, two] = await Promise.all([startInstance(t, env), startInstance(t, env)])
  const addUser = async (username: string): Promise<string> =>
    await insertUser(db, table, { username, email: `${username}@example.com`, passwordHash: await cheapHash('old-password-for-tests') })

  t.test('a link mailed by one instance resets the password through the other', async (t) => {
    const id = await addUser('alice')
    const before = await hashOf(db, table, id)
    t.equal((await one!.post('send-reset-password-link', { login: 'alice' })).status, 200)
    const link = Object.fromEntries(linkFrom(await mailTo(sink, 'alice@example.com')).searchParams)
    t.same(await two!.post('reset-password', { ...link, password: NEW_PASSWORD }), { status: 200, body: { detail: 'Reset password successful' } })
    t.ok(await verifyPassword(NEW_PASSWORD, await hashOf(db, table, id)))
    t.not(await hashOf(db, table, id), before)
    t.match(await one!.post('reset-password', { ...link, password: NEW_PASSWORD }), { status: 400, body: { code: 'FST_RESET_PASSWORD_INVALID_SIGNATURE' } }, 'and is used up on both')
  })

  t.test('the rate limit is shared', async (t) => {
    const statuses = []
    for (const instance of [one, two, one, two, one]) statuses.push((await instance!.post('send-reset-password-link', { login: 'bombed@example.com' })).status)
    t.same(statuses, [200, 200, 200, 429, 429])
    t.ok((await redis.keys()).some((key) => key.includes('reset-password:send-link:login:')), 'the counters are in Redis')
  })

  t.test('20 concurrent resets with one link, spread over both instances, give exactly one success', async (t) => {
    const id = await addUser('bob')
    t.equal((await two!.post('send-reset-password-link', { login: 'bob' })).status, 200)
    const link = Object.fromEntries(linkFrom(await mailTo(sink, 'bob@example.com')).searchParams)
    const passwords = Array.from({ length: 20 }, (_, i) => `${NEW_PASSWORD}-${i}`)
    const replies = await Promise.all(passwords.map(async (password, i) => await (i % 2 === 0 ? one! : two!).post('reset-password', { ...link, password })))
    const winners = replies.flatMap((reply, i) => reply.status === 200 ? [i] : [])
    t.equal(winners.length, 1, 'one success')
    t.ok(replies.every((reply) => reply.status === 200 || reply.body['code'] === 'FST_RESET_PASSWORD_INVALID_SIGNATURE'), 'the others: Invalid signature')
    const winner = passwords[winners[0] ?? -1] ?? 'nobody won'
    t.ok(await verifyPassword(winner, await hashOf(db, table, id)), "the stored hash is the winner's password")
  })
})
