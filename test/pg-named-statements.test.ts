import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { Kysely, PostgresDialect, sql } from 'kysely'
import type { Generated, PostgresCursor } from 'kysely'
import pg from 'pg'
import t from 'tap'
import type { Test } from 'tap'
import { pgNamedStatements } from '../lib/index.js'
import type { NamingPgClient, NamingPgPool } from '../lib/index.js'

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/**
 * A pool of one connection, so every query of a test sees the same prepared statements; ended in the
 * teardown of `t`. Without the server the test fails under CI, and elsewhere skips saying how to start it.
 */
async function openPool (t: Test): Promise<pg.Pool | null> {
  const pool = new pg.Pool({ connectionString: PG_URL, connectionTimeoutMillis: 5000, max: 1 })
  try {
    await pool.query('select 1')
  } catch (error) { /* c8 ignore start: runs only when the server is down */
    await pool.end()
    const message = `postgres is not reachable (${(error as Error).message}); start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or set PG_URL)`
    if (process.env.CI !== undefined && process.env.CI !== '') throw new Error(message, { cause: error })
    t.pass(message, { skip: true })
    return null
  } /* c8 ignore stop */
  t.teardown(async () => { if (!pool.ended) await pool.end() })
  return pool
}

interface Prepared { name: string, statement: string, executions: number }

/** The named statements of the pool's one connection, and how often each ran. */
async function preparedOn (pool: pg.Pool): Promise<Prepared[]> {
  const { rows } = await pool.query<Prepared>('select name, statement, (generic_plans + custom_plans)::int as executions from pg_prepared_statements order by prepare_time')
  return rows
}

async function withTable (t: Test, db: Kysely<DB>): Promise<string> {
  const table = `named_${process.pid}_${randomBytes(4).toString('hex')}`
  await sql`create table ${sql.table(table)} (id serial primary key, name text not null)`.execute(db)
  t.teardown(async () => { await sql`drop table if exists ${sql.table(table)}`.execute(db) })
  return table
}

type DB = Record<string, { id: Generated<number>, name: string }>

function kyselyOver (t: Test, pool: pg.Pool, max?: number, onCreateConnection?: () => Promise<void>): Kysely<DB> {
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: pgNamedStatements(pool, { max }), onCreateConnection }) })
  t.teardown(async () => { await db.destroy() })
  return db
}

t.test('a text is prepared on its second use, once per pg client, and gives the same rows', async (t) => {
  const pool = await openPool(t)
  if (pool === null) return
  const db = kyselyOver(t, pool)
  const query = (n: number) => sql<{ next: number }>`select ${n}::int + 1 as next`
  t.same((await query(1).execute(db)).rows, [{ next: 2 }])
  t.same(await preparedOn(pool), [], 'a text used once is not prepared')
  for (const n of [2, 3, 4]) t.same((await query(n).execute(db)).rows, [{ next: n + 1 }])
  const text = query(0).compile(db).sql
  t.match(await preparedOn(pool), [{ name: /^frp_[0-9a-f]{24}$/, statement: text, executions: 3 }])
  t.equal((await preparedOn(pool)).length, 1)
})

t.test('a named query reaches the client as a config with nothing of its own for pg to copy, its values beside it', async (t) => {
  const pool = await openPool(t)
  if (pool === null) return
  const seen: Array<{ own: string[], name: unknown, text: unknown, values: unknown }> = []
  // pg's own pool and clients, each query recorded on its way in; one recorder per pg client, as the wrapper keeps one.
  const recorders = new WeakMap<pg.PoolClient, NamingPgClient>()
  const record = (client: pg.PoolClient): NamingPgClient => {
    const query = client.query.bind(client) as (config: unknown, values?: unknown) => unknown
    return {
      query: (config: unknown, values?: unknown) => {
        if (typeof config === 'object' && config !== null && 'name' in config) {
          seen.push({ own: Object.keys(config), name: Reflect.get(config, 'name'), text: Reflect.get(config, 'text'), values })
        }
        return query(config, values)
      },
      release: (destroy?: boolean) => { client.release(destroy) }
    } as NamingPgClient
  }
  const recording: NamingPgPool = {
    async connect () {
      const client = await pool.connect()
      const recorder = recorders.get(client) ?? record(client)
      recorders.set(client, recorder)
      return recorder
    },
    end: async () => {}
  }
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: pgNamedStatements(recording) }) })
  t.teardown(async () => { await db.destroy() })
  for (const n of [1, 2]) t.same((await sql<{ next: number }>`select ${n}::int + 1 as next`.execute(db)).rows, [{ next: n + 1 }])
  t.match(seen, [{ own: [], name: /^frp_[0-9a-f]{24}$/, text: 'select $1::int + 1 as next', values: [2] }])
  t.equal(seen.length, 1, 'only the second use is named')
})

t.test('the same wrapped client comes back for the same pool client', async (t) => {
  const pool = await openPool(t)
  if (pool === null) return
  const named = pgNamedStatements(pool)
  const first = await named.connect()
  first.release()
  const second = await named.connect()
  second.release()
  t.equal(second, first)
  let created = 0
  const db = kyselyOver(t, pool, undefined, async () => { created++ })
  for (let i = 0; i < 3; i++) await sql`select ${i}::int`.execute(db)
  t.equal(created, 1, 'Kysely made one connection for the one client')
})

t.test('a client released for destruction is not wrapped again', async (t) => {
  const pool = await openPool(t)
  if (pool === null) return
  const named = pgNamedStatements(pool)
  const first = await named.connect()
  // Kysely 0.29 passes true to release a client it discarded; 0.28's types have no parameter.
  const release: (destroy: boolean) => void = first.release
  release(true)
  const second = await named.connect()
  second.release()
  t.not(second, first)
})

t.test("the pool's options and client class and each client's process id show through, for Kysely 0.29's query cancellation", async (t) => {
  const pool = await openPool(t)
  if (pool === null) return
  const named = pgNamedStatements(pool)
  // Kysely 0.28's types do not name them; 0.29 reads them.
  t.equal(Reflect.get(named, 'options'), Reflect.get(pool, 'options'))
  t.equal(Reflect.get(named, 'Client'), pg.Client)
  const client = await named.connect()
  t.teardown(() => { client.release() })
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid', [])
  t.equal(Reflect.get(client, 'processID'), rows[0]?.pid)
})

t.test('texts past max run unnamed', async (t) => {
  const pool = await openPool(t)
  if (pool === null) return
  const db = kyselyOver(t, pool, 1)
  for (const n of [1, 2, 3]) t.same((await sql`select ${n}::int as a`.execute(db)).rows, [{ a: n }])
  for (const n of [1, 2, 3]) t.same((await sql`select ${n}::int as b`.execute(db)).rows, [{ b: n }])
  t.match(await preparedOn(pool), [{ statement: 'select $1::int as a', executions: 2 }])
  t.equal((await preparedOn(pool)).length, 1)
})

t.test('a text without parameters runs unnamed, so it may hold several statements', async (t) => {
  const pool = await openPool(t)
  if (pool === null) return
  const db = kyselyOver(t, pool)
  await sql.raw('set application_name = named_test; select 1').execute(db)
  t.same(await preparedOn(pool), [])
})

t.test('a submittable such as a cursor passes through unchanged', async (t) => {
  const pool = await openPool(t)
  if (pool === null) return
  const client = await pgNamedStatements(pool).connect()
  t.teardown(() => { client.release() })
  const submitted = new pg.Query('select 42 as answer')
  const rows: unknown[] = []
  submitted.on('row', (row) => rows.push(row))
  // pg-cursor is not installed here; a pg Query is submitted the same way a Cursor is.
  t.equal(client.query(submitted as unknown as PostgresCursor<unknown>), submitted as unknown)
  await once(submitted, 'end')
  t.same(rows, [{ answer: 42 }])
})

t.test('transactions through Kysely work', async (t) => {
  const pool = await openPool(t)
  if (pool === null) return
  const db = kyselyOver(t, pool)
  const table = await withTable(t, db)
  const names = async (): Promise<string[]> => (await db.selectFrom(table).select('name').orderBy('id').execute()).map((row) => row.name)
  await db.transaction().execute(async (trx) => {
    await trx.insertInto(table).values({ name: 'ada' }).execute()
    t.same(await trx.selectFrom(table).select('name').where('name', '=', 'ada').execute(), [{ name: 'ada' }])
  })
  await t.rejects(db.transaction().execute(async (trx) => {
    await trx.insertInto(table).values({ name: 'bob' }).execute()
    throw new Error('undo')
  }), { message: 'undo' })
  await db.transaction().execute(async (trx) => { await trx.insertInto(table).values({ name: 'cy' }).execute() })
  t.same(await names(), ['ada', 'cy'])
  const insert = db.insertInto(table).values({ name: '' }).compile().sql
  // The first insert ran unnamed; the statement prepared for the second served the rolled back one and the third.
  t.match(await preparedOn(pool), [{ statement: insert, executions: 2 }], 'one statement served the inserts after the first, the rolled back one too')
})

t.test('a failed named statement leaves the connection usable', async (t) => {
  const pool = await openPool(t)
  if (pool === null) return
  const db = kyselyOver(t, pool)
  t.same((await sql`select ${'6'}::int as n`.execute(db)).rows, [{ n: 6 }])
  await t.rejects(sql`select ${'not a number'}::int as n`.execute(db), { code: '22P02' })
  t.same((await sql`select ${'7'}::int as n`.execute(db)).rows, [{ n: 7 }])
})

t.test('destroying Kysely ends the pool', async (t) => {
  const pool = await openPool(t)
  if (pool === null) return
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: pgNamedStatements(pool) }) })
  await sql`select ${1}::int`.execute(db)
  await db.destroy()
  t.equal(pool.ended, true)
})

t.test('max must be a positive integer', async (t) => {
  const pool = new pg.Pool({ connectionString: PG_URL })
  t.teardown(async () => { await pool.end() })
  for (const max of [0, -1, 1.5, Number.NaN, '10']) {
    t.throws(() => pgNamedStatements(pool, { max: max as number }), {
      code: 'FST_RESET_PASSWORD_INVALID_OPTION',
      message: /"max" of pgNamedStatements\(\) must be a positive integer/
    }, String(max))
  }
})
