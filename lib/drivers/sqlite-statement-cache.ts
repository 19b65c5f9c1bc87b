import { LRUCache } from 'lru-cache'
import type { SqliteDatabase, SqliteStatement } from 'kysely'
import { InvalidOptionError } from '../errors.js'

/** A better-sqlite3 `Statement` as far as the cache needs it: `busy` while an iterator is reading it. */
export interface CacheableSqliteStatement extends SqliteStatement {
  readonly busy: boolean
}

/** A better-sqlite3 `Database` as far as the cache needs it. */
export interface CacheableSqliteDatabase {
  prepare(sql: string): CacheableSqliteStatement
  close(): void
}

export interface SqliteStatementCacheOptions {
  /** The most statements kept, least recently used first out. Default 200. */
  readonly max?: number
}

const DEFAULT_MAX = 200

/**
 * `database` for Kysely's `SqliteDialect`, preparing each SQL text once: Kysely's SqliteDriver calls
 * `prepare(sql)` for every query, and with better-sqlite3 that compiles the SQL anew each time.
 *
 * At most `max` statements are kept, so dynamic SQL cannot grow the cache without bound. A cached
 * statement that a stream is still iterating (`busy`) is not handed out again: that caller gets a
 * fresh one. Statements are shared: do not switch `raw`, `pluck`, `expand` or `safeIntegers` on
 * the ones this `prepare` returns. `close()` closes `database`.
 *
 * @example
 * ```ts
 * const db = new Kysely<AppDB>({ dialect: new SqliteDialect({ database: sqliteStatementCache(new Database('app.db')) }) })
 * ```
 */
export function sqliteStatementCache (database: CacheableSqliteDatabase, options: SqliteStatementCacheOptions = {}): SqliteDatabase {
  const max = options.max ?? DEFAULT_MAX
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 1) {
    throw new InvalidOptionError('max', 'of sqliteStatementCache() must be a positive integer')
  }
  const statements = new LRUCache<string, CacheableSqliteStatement>({ max })
  return {
    prepare (sql) {
      const cached = statements.get(sql)
      if (cached !== undefined && !cached.busy) return cached
      const statement = database.prepare(sql)
      // A busy one stays cached: its stream ends soon, and the fresh one is for this caller only.
      if (cached === undefined) statements.set(sql, statement)
      return statement
    },
    close () {
      statements.clear()
      database.close()
    }
  }
}
