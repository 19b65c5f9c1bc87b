import type Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import { pgNamedStatements, sqliteStatementCache } from '../../lib/index.js'
import { envString } from './ipc.js'
import { openSqlite } from '../open-sqlite.js'

// What a server process reads its data from, as the parent set it up: BENCH_DB=sqlite with
// BENCH_DB_FILE (a private copy of the seeded file), or BENCH_DB=postgres with BENCH_PG_URL and BENCH_PG_TABLE.

export type Store =
  | { readonly kind: 'sqlite', readonly table: string, readonly sqlite: Database.Database }
  | { readonly kind: 'postgres', readonly table: string, readonly pool: pg.Pool }

export function openStore (): Store {
  if (envString('BENCH_DB') === 'postgres') {
    return { kind: 'postgres', table: envString('BENCH_PG_TABLE'), pool: new pg.Pool({ connectionString: envString('BENCH_PG_URL'), max: 10 }) }
  }
  const sqlite = openSqlite(envString('BENCH_DB_FILE'))
  // The file is in WAL mode already (persistent); NORMAL is per connection. Both as in production.
  sqlite.pragma('synchronous = NORMAL')
  return { kind: 'sqlite', table: 'users', sqlite }
}

// Wrapped as the user adapters page recommends, so the plugin server runs as a tuned app would: without
// the wrappers Kysely compiles the SQL on every SQLite query and has PostgreSQL parse and plan every one,
// where the bare baseline prepares its statements once.
export function kyselyOf (store: Store): Kysely<unknown> {
  return new Kysely({
    dialect: store.kind === 'sqlite'
      ? new SqliteDialect({ database: sqliteStatementCache(store.sqlite) })
      : new PostgresDialect({ pool: pgNamedStatements(store.pool) })
  })
}

export async function closeStore (store: Store): Promise<void> {
  if (store.kind === 'sqlite') store.sqlite.close()
  else await store.pool.end()
}
