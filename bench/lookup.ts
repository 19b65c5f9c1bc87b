import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CompiledQuery, Kysely, SqliteDialect } from 'kysely'
import { kyselyUsers, sqliteStatementCache } from '../lib/index.js'
import { config } from './config.js'
import { onRequestedNode } from './node.js'
import { openSqlite } from './open-sqlite.js'
import { benchFile } from './processes.js'
import { machine } from './report.js'
import { sqliteCopy } from './seed/sqlite.js'
import { existingEmail, unknownEmail } from './seed/users.js'
import { median } from './stats.js'

// `npm run bench:lookup`: send-link's user lookup alone, with no HTTP around it, on the benchmark's
// SQLite file. It splits what scenario 2's profiles show as one piece: SQLite's own work (the bare
// route's statement against the plugin's, with its index probes and stand-in row), Kysely's (the
// bare statement through `executeQuery`) and the adapter's (`kyselyUsers().findByLogin`). The kinds
// take turns, BENCH_LOOKUP_ROUNDS rounds (21) of BENCH_LOOKUP_CALLS calls each (5,000), on logins
// of users spread over the file; each figure is µs per call in the median round, the first round
// of each kind left out as its warm-up.

onRequestedNode()

// The bare route's statement (bench/servers/baseline.ts): one lookup, the login behind a subquery.
const BARE_SQL = 'select id, username, email, password_hash, is_active from users where lower(email) = lower((select ?))'

const copy = await sqliteCopy(config.users)
const sqlite = openSqlite(copy.file)
let pluginSql = ''
// Kysely's log hands over the SQL that kyselyUsers compiled, so the plugin's statement runs alone below.
const db = new Kysely<any>({
  dialect: new SqliteDialect({ database: sqliteStatementCache(sqlite) }),
  log: (event) => { if (event.level === 'query') pluginSql = event.query.sql }
})
const users = kyselyUsers(db, { table: 'users' })
await users.findByLogin(existingEmail(1))
const bare = sqlite.prepare(BARE_SQL)
const plugin = sqlite.prepare(pluginSql)
// Every parameter of the plugin's statement is the login (see kyselyUsers).
const placeholders = pluginSql.split('?').length - 1
const parameters = (login: string): string[] => Array.from({ length: placeholders }, () => login)

const KINDS: Readonly<Record<string, (user: number) => unknown>> = {
  'the bare route\'s statement': (i) => bare.all(existingEmail(i)),
  'the plugin\'s statement, existing': (i) => plugin.all(parameters(existingEmail(i))),
  'the plugin\'s statement, unknown': (i) => plugin.all(parameters(unknownEmail(i))),
  'the bare statement through Kysely': (i) => db.executeQuery(CompiledQuery.raw(BARE_SQL, [existingEmail(i)])),
  'findByLogin, existing': (i) => users.findByLogin(existingEmail(i)),
  'findByLogin, unknown': (i) => users.findByLogin(unknownEmail(i))
}

// A stride through the users, so that consecutive calls read rows far apart, as an app's logins do.
const STRIDE = 7919
const rounds: Record<string, number[]> = Object.fromEntries(Object.keys(KINDS).map((name) => [name, []]))
let call = 0
for (let round = 0; round < config.lookupRounds; round++) {
  for (const [name, lookup] of Object.entries(KINDS)) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < config.lookupCalls; i++) await lookup((call++ * STRIDE) % config.users + 1)
    rounds[name]?.push(Number(process.hrtime.bigint() - start) / config.lookupCalls / 1000)
  }
}
await db.destroy()
await copy.remove()

const figures = Object.fromEntries(Object.entries(rounds).map(([name, times]) => [name, median(times.slice(1))]))
console.log(`Node ${process.version}: ${config.lookupRounds} rounds x ${config.lookupCalls} calls of each kind, ${config.users} users`)
console.log('== lookup: send-link\'s user lookup alone, µs per call (median round)')
for (const [name, value] of Object.entries(figures)) console.log(`  ${name.padEnd(36)} ${value.toFixed(2)}`)

const folder = process.env['BENCH_RESULTS'] ?? benchFile('results/')
await mkdir(folder, { recursive: true })
const file = join(folder, 'lookup.json')
await writeFile(file, JSON.stringify({ scenario: 'lookup', machine: machine(), config, figures, rounds }, null, 2) + '\n')
console.log(`  (${file})`)
