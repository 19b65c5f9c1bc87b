import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, type LogEvent } from 'kysely'
import pg from 'pg'
import { kyselyUsers, pgNamedStatements, sqliteStatementCache } from '../lib/index.js'
import { bareLookupSql } from './bare-lookup.js'
import { config } from './config.js'
import { onRequestedNode } from './node.js'
import { openSqlite } from './open-sqlite.js'
import { benchFile } from './processes.js'
import { machine } from './report.js'
import { seedPostgres } from './seed/postgres.js'
import { sqliteCopy } from './seed/sqlite.js'
import { existingEmail, unknownEmail } from './seed/users.js'
import { median } from './stats.js'

// `npm run bench:lookup [-- postgres]`: send-link's user lookup alone, with no HTTP around it, on
// the benchmark's SQLite file (or a PostgreSQL table seeded the same way, through pgNamedStatements
// as the bench servers run it). It splits what scenario 2's profiles show as one piece: the
// database's own work (the bare route's statement against the plugin's, with its index probes and
// its stand-in row), Kysely's (the bare statement through `executeQuery`) and the
// adapter's (`kyselyUsers().findByLogin`); and, for existing against unknown addresses, how much of
// a difference each layer adds. The kinds take turns, BENCH_LOOKUP_ROUNDS rounds (21) of
// BENCH_LOOKUP_CALLS calls each (5,000), on logins of users spread over the table; each figure is µs
// per call in the median round, the first round of each kind left out as its warm-up.

onRequestedNode()

const database = process.argv[2] ?? 'sqlite'
if (database !== 'sqlite' && database !== 'postgres') {
  console.error(`unknown database ${database}; choose sqlite or postgres`)
  process.exit(2)
}

/** One kind of lookup; its promise, if any, is awaited. */
type Lookup = (login: string) => unknown

interface Subject {
  /** Runs `sql` as the database's driver would, every parameter the login. */
  readonly statement: (sql: string) => Lookup
  /** The bare route's statement (bareLookupSql), on its own and through Kysely. */
  readonly bare: Lookup
  readonly bareThroughKysely: Lookup
  readonly db: Kysely<any>
  readonly table: string
  readonly close: () => Promise<void>
}

/** The parameters of `sql` (SQLite's `?`, PostgreSQL's `$n`), each the login. */
function everyParameter (sql: string): (login: string) => string[] {
  const count = (sql.match(/\?|\$\d+/g) ?? []).length
  return (login) => Array.from({ length: count }, () => login)
}

async function sqliteSubject (log: (event: LogEvent) => void): Promise<Subject> {
  const copy = await sqliteCopy(config.users)
  const sqlite = openSqlite(copy.file)
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: sqliteStatementCache(sqlite) }), log })
  const bare = bareLookupSql('users', '(select ?)')
  const statement = sqlite.prepare(bare)
  return {
    statement: (sql) => {
      const prepared = sqlite.prepare(sql)
      const parameters = everyParameter(sql)
      return (login) => prepared.all(parameters(login))
    },
    bare: (login) => statement.all(login),
    bareThroughKysely: (login) => db.executeQuery(CompiledQuery.raw(bare, [login])),
    db,
    table: 'users',
    close: async () => {
      await db.destroy()
      await copy.remove()
    }
  }
}

async function postgresSubject (log: (event: LogEvent) => void): Promise<Subject> {
  const table = `bench_lookup_${process.pid}`
  await seedPostgres(config.pgUrl, config.users, table)
  // One connection: every call waits for the one before it, so none waits for a connection.
  const pool = new pg.Pool({ connectionString: config.pgUrl, max: 1 })
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: pgNamedStatements(pool) }), log })
  const bare = bareLookupSql(table, '$1')
  return {
    // Named, so prepared once, as pgNamedStatements has Kysely's queries.
    statement: (sql) => {
      const parameters = everyParameter(sql)
      return (login) => pool.query({ name: 'lookup-plugin', text: sql, values: parameters(login) })
    },
    bare: (login) => pool.query({ name: 'lookup-bare', text: bare, values: [login] }),
    bareThroughKysely: (login) => db.executeQuery(CompiledQuery.raw(bare, [login])),
    db,
    table,
    close: async () => {
      await db.schema.dropTable(table).execute()
      await db.destroy()
    }
  }
}

let pluginSql = ''
// Kysely's log hands over the SQL that kyselyUsers compiled, so the plugin's statement can run alone.
const subject = await (database === 'sqlite' ? sqliteSubject : postgresSubject)((event) => {
  if (event.level === 'query') pluginSql = event.query.sql
})
const users = kyselyUsers(subject.db, { table: subject.table })
await users.findByLogin(existingEmail(1))
const plugin = subject.statement(pluginSql)

const KINDS: Readonly<Record<string, { readonly login: (user: number) => string, readonly lookup: Lookup }>> = {
  'the bare route\'s statement': { login: existingEmail, lookup: subject.bare },
  'the plugin\'s statement, existing': { login: existingEmail, lookup: plugin },
  'the plugin\'s statement, unknown': { login: unknownEmail, lookup: plugin },
  'the bare statement through Kysely': { login: existingEmail, lookup: subject.bareThroughKysely },
  'findByLogin, existing': { login: existingEmail, lookup: (login) => users.findByLogin(login) },
  'findByLogin, unknown': { login: unknownEmail, lookup: (login) => users.findByLogin(login) }
}

// A stride through the users, so that consecutive calls read rows far apart, as an app's logins do.
const STRIDE = 7919
const rounds: Record<string, number[]> = Object.fromEntries(Object.keys(KINDS).map((name) => [name, []]))
let call = 0
try {
  for (let round = 0; round < config.lookupRounds; round++) {
    for (const [name, { login, lookup }] of Object.entries(KINDS)) {
      const start = process.hrtime.bigint()
      for (let i = 0; i < config.lookupCalls; i++) await lookup(login((call++ * STRIDE) % config.users + 1))
      rounds[name]?.push(Number(process.hrtime.bigint() - start) / config.lookupCalls / 1000)
    }
  }
} finally {
  await subject.close()
}

const figures = Object.fromEntries(Object.entries(rounds).map(([name, times]) => [name, median(times.slice(1))]))
const difference = (existing: string, unknown: string): number => (figures[existing] ?? NaN) - (figures[unknown] ?? NaN)
console.log(`Node ${process.version}: ${config.lookupRounds} rounds x ${config.lookupCalls} calls of each kind, ${config.users} users`)
console.log(`== lookup (${database}): send-link's user lookup alone, µs per call (median round)`)
for (const [name, value] of Object.entries(figures)) console.log(`  ${name.padEnd(36)} ${value.toFixed(2)}`)
console.log(`  existing − unknown: the plugin's statement ${difference('the plugin\'s statement, existing', 'the plugin\'s statement, unknown').toFixed(2)}, findByLogin ${difference('findByLogin, existing', 'findByLogin, unknown').toFixed(2)}`)

const folder = process.env['BENCH_RESULTS'] ?? benchFile('results/')
await mkdir(folder, { recursive: true })
const file = join(folder, `lookup-${database}.json`)
await writeFile(file, JSON.stringify({ scenario: 'lookup', database, machine: machine(), config, figures, rounds }, null, 2) + '\n')
console.log(`  (${file})`)
