import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect, sql } from 'kysely'
import type { Generated } from 'kysely'
import t from 'tap'
import type { Test } from 'tap'
import { kyselyUsers, sqliteStatementCache } from '../lib/index.js'
import type { CacheableSqliteDatabase } from '../lib/index.js'

interface Opened {
  /** The better-sqlite3 database, counting what it prepares. */
  readonly database: CacheableSqliteDatabase & { readonly raw: Database.Database }
  /** Every SQL text the database was asked to prepare, in order. */
  readonly prepared: string[]
}

/** A better-sqlite3 database in a fresh file, removed in the teardown of `t`, that records each prepare. */
async function openCounted (t: Test): Promise<Opened> {
  const dir = await mkdtemp(join(tmpdir(), 'fastify-reset-password-'))
  const raw = new Database(join(dir, 'test.sqlite'))
  raw.exec("create table users (id integer primary key, username text, email text, password_hash text not null, is_active integer not null default 1); insert into users (username, email, password_hash) values ('ada', 'ada@example.com', 'hash-a'), ('bob', 'bob@example.com', 'hash-b')")
  const prepared: string[] = []
  t.teardown(async () => {
    raw.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { prepared, database: { raw, prepare (text) { prepared.push(text); return raw.prepare(text) }, close () { raw.close() } } }
}

interface DB {
  users: { id: Generated<number>, username: string | null, email: string | null, password_hash: string, is_active: Generated<number> }
}

function kyselyOver (t: Test, database: CacheableSqliteDatabase, max?: number): Kysely<DB> {
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqliteStatementCache(database, { max }) }) })
  t.teardown(async () => { await db.destroy() })
  return db
}

t.test('the same SQL is prepared once and gives the same rows', async (t) => {
  const { database, prepared } = await openCounted(t)
  const db = kyselyOver(t, database)
  const byName = async (name: string): Promise<unknown[]> => (await sql`select id, email from users where username = ${name}`.execute(db)).rows
  t.same(await byName('ada'), [{ id: 1, email: 'ada@example.com' }])
  t.same(await byName('bob'), [{ id: 2, email: 'bob@example.com' }])
  t.same(await byName('ada'), [{ id: 1, email: 'ada@example.com' }])
  t.equal(prepared.length, 1)
})

t.test('the same SQL text gives back the same statement', async (t) => {
  const { database } = await openCounted(t)
  const cache = sqliteStatementCache(database)
  t.equal(cache.prepare('select 1'), cache.prepare('select 1'))
  t.not(cache.prepare('select 1'), cache.prepare('select 2'))
})

t.test('a busy statement is not handed out twice', async (t) => {
  const { database, prepared } = await openCounted(t)
  const cache = sqliteStatementCache(database)
  const text = 'select username from users order by id'
  const first = cache.prepare(text)
  const rows = first.iterate([])
  t.same(rows.next().value, { username: 'ada' })
  const second = cache.prepare(text)
  t.not(second, first, 'a stream is reading the cached one')
  t.same(second.all([]), [{ username: 'ada' }, { username: 'bob' }])
  t.same(rows.next().value, { username: 'bob' }, 'the stream reads on undisturbed')
  t.ok(rows.next().done)
  t.equal(cache.prepare(text), first, 'once the stream ends, the cached one comes back')
  t.equal(prepared.length, 2)
})

t.test('a Kysely stream reads through a cached statement', async (t) => {
  const { database, prepared } = await openCounted(t)
  const db = kyselyOver(t, database)
  const names = async (): Promise<unknown[]> => {
    const found: unknown[] = []
    for await (const row of db.selectFrom('users').select('username').orderBy('id').stream()) found.push(row)
    return found
  }
  t.same(await names(), [{ username: 'ada' }, { username: 'bob' }])
  t.same(await names(), [{ username: 'ada' }, { username: 'bob' }])
  t.equal(prepared.length, 1)
})

t.test('the cache holds at most max statements', async (t) => {
  const { database, prepared } = await openCounted(t)
  const cache = sqliteStatementCache(database, { max: 2 })
  for (const text of ['select 1', 'select 2', 'select 3', 'select 3', 'select 2', 'select 1']) cache.prepare(text)
  t.same(prepared, ['select 1', 'select 2', 'select 3', 'select 1'], 'select 1 was the least recently used')
})

t.test('max must be a positive integer', async (t) => {
  const { database } = await openCounted(t)
  for (const max of [0, -1, 1.5, Number.NaN, '10']) {
    t.throws(() => sqliteStatementCache(database, { max: max as number }), {
      code: 'FST_RESET_PASSWORD_INVALID_OPTION',
      message: /"max" of sqliteStatementCache\(\) must be a positive integer/
    }, String(max))
  }
})

t.test('destroying Kysely closes the database', async (t) => {
  const { database } = await openCounted(t)
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqliteStatementCache(database) }) })
  await sql`select 1`.execute(db)
  await db.destroy()
  t.equal(database.raw.open, false)
})

t.test('kyselyUsers over a cached database finds users as before', async (t) => {
  const { database, prepared } = await openCounted(t)
  const users = kyselyUsers(kyselyOver(t, database))
  t.match(await users.findByLogin('ada'), [{ username: 'ada', email: 'ada@example.com', passwordHash: 'hash-a', isActive: true }])
  t.match(await users.findByLogin('BOB@example.com'), [{ username: 'bob' }])
  t.equal((await users.findById('2'))?.username, 'bob')
  t.equal(await users.replacePasswordHash('1', 'hash-a', 'hash-a2'), true)
  t.equal(await users.replacePasswordHash('1', 'hash-a', 'hash-a3'), false, 'the hash changed already')
  t.equal((await users.findById('1'))?.passwordHash, 'hash-a2')
  t.equal(new Set(prepared).size, prepared.length, 'no text was prepared twice')
})

t.test('transactions through Kysely work', async (t) => {
  const { database } = await openCounted(t)
  const db = kyselyOver(t, database)
  const count = async (): Promise<unknown> => (await sql<{ n: number }>`select count(*) as n from users`.execute(db)).rows[0]?.n
  await db.transaction().execute(async (trx) => {
    await sql`insert into users (username, password_hash) values (${'cy'}, ${'hash-c'})`.execute(trx)
  })
  t.equal(await count(), 3, 'committed')
  await t.rejects(db.transaction().execute(async (trx) => {
    await sql`insert into users (username, password_hash) values (${'di'}, ${'hash-d'})`.execute(trx)
    throw new Error('undo')
  }), { message: 'undo' })
  t.equal(await count(), 3, 'rolled back')
  await db.transaction().execute(async (trx) => {
    await sql`insert into users (username, password_hash) values (${'ed'}, ${'hash-e'})`.execute(trx)
  })
  t.equal(await count(), 4, 'the cached begin and commit run again')
})
