import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import resetPassword, { kyselyUsers, pgNamedStatements, type ResetPasswordOptions } from '../lib/index.js'
import { bullmqProducer, bullmqWorker } from '../lib/bullmq/index.js'
import { openSqlite } from './open-sqlite.js'

// The server side of bench/timing.ts, in its own process so the client never shares its event loop.
// Seeds `users` users (username `user<i>`, e-mail `user<i>@example.com`), serves the plugin with rate
// limits off and delivery replaced by a no-op, sends { port } to the parent, and cleans up on 'stop'.
// With TIMING_DURABLE=1, send-link hands each request to BullMQ (REDIS_URL, default the local Redis)
// before replying, and a worker in this process looks up, signs and "sends".

export type TimingDialect = 'sqlite' | 'postgres'

const dialect = process.argv[2] as TimingDialect
const users = Number(process.argv[3])
const table = `timing_users_${process.pid}`
let cleanup = (): void => {}

async function open (): Promise<Kysely<any>> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'fastify-reset-password-timing-'))
    cleanup = () => { rmSync(dir, { recursive: true, force: true }) }
    return new Kysely({ dialect: new SqliteDialect({ database: openSqlite(join(dir, 'timing.sqlite')) }) })
  }
  const connectionString = process.env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test'
  // Named statements, as the README sets PostgreSQL up and as the other scenarios run it.
  return new Kysely({ dialect: new PostgresDialect({ pool: pgNamedStatements(new pg.Pool({ connectionString, max: 4 })) }) })
}

async function seed (db: Kysely<any>): Promise<void> {
  await db.schema.createTable(table)
    .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (col) => dialect === 'postgres' ? col.primaryKey() : col.primaryKey().autoIncrement())
    .addColumn('username', 'varchar(150)', (col) => col.unique())
    .addColumn('email', 'varchar(254)')
    .addColumn('password_hash', 'varchar(255)', (col) => col.notNull())
    .addColumn('is_active', 'boolean', (col) => col.notNull().defaultTo(true))
    .execute()
  await db.schema.createIndex(`${table}_lower_email`).on(table).expression(sql`lower(email)`).execute()
  for (let start = 0; start < users; start += 500) {
    const rows = Array.from({ length: Math.min(500, users - start) }, (_, k) => ({
      username: `user${start + k}`,
      email: `user${start + k}@example.com`,
      password_hash: `scrypt$ln=17,r=8,p=1$placeholder-salt$placeholder-hash-${start + k}`
    }))
    await db.insertInto(table).values(rows).execute()
  }
  if (dialect === 'postgres') await sql`analyze ${sql.table(table)}`.execute(db)
}

const db = await open()
await seed(db)
const options: ResetPasswordOptions = {
  prefix: '/api',
  secret: 'timing-benchmark-secret-0123456789abcdefghij',
  verificationUrl: 'https://frontend.example/reset-password/',
  users: kyselyUsers(db, { table }),
  deliver: async () => {},
  rateLimit: false,
  // The code routes, for `bench:timing -- send-code` and `-- reset-with-code`. Wrong codes may use up
  // an account's tries or the period's budget: either way every request does the same work (lib/codes/workflow.ts).
  codes: true
}
const redis = new URL(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379')
const connection = { host: redis.hostname, port: Number(redis.port) }
const bull = { connection, prefix: `bench-timing-${process.pid}` }
const durable = process.env['TIMING_DURABLE'] === '1'
const producer = durable ? bullmqProducer({ ...bull, connection: { ...connection, maxRetriesPerRequest: 1 } }) : undefined
const worker = durable ? bullmqWorker({ ...bull, plugin: options }) : undefined
const app = Fastify({ logger: false })
await app.register(resetPassword, { ...options, ...(producer === undefined ? {} : { producer }) })
await app.listen({ host: '127.0.0.1', port: 0 })
process.send?.({ port: (app.server.address() as AddressInfo).port })

process.on('message', (message) => {
  if (message !== 'stop') return
  void (async () => {
    await app.close()
    await worker?.close()
    await producer?.queue.obliterate({ force: true })
    await producer?.close()
    await db.schema.dropTable(table).execute()
    await db.destroy()
    cleanup()
    process.disconnect()
  })()
})
