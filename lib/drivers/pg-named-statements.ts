import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely'
import { InvalidOptionError } from '../errors.js'

/** A query of pg's config form, sent as a named prepared statement; its values go beside it. */
export interface NamedQueryConfig {
  readonly name: string
  readonly text: string
}

/** A pg `PoolClient` as far as named statements need it. */
export interface NamingPgClient {
  /** `config`'s name and text are inherited (from its prototype), so read them; a spread `{ ...config }` would lose them. */
  query<R>(config: NamedQueryConfig, values: unknown[]): Promise<PostgresQueryResult<R>>
  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>
  release(destroy?: boolean): void
  /** pg's backend process id, which Kysely 0.29 reads to cancel a query. */
  readonly processID?: number | null
}

/** A pg `Pool` as far as named statements need it. */
export interface NamingPgPool {
  connect(): Promise<NamingPgClient>
  end(): Promise<void>
  /** pg's pool options and client class, with which Kysely 0.29 opens a connection to cancel a query. */
  readonly options?: object
  readonly Client?: unknown
}

export interface PgNamedStatementsOptions {
  /** How many distinct SQL texts get a name (each from its second use); later ones run unnamed. Default 200. */
  readonly max?: number
}

const DEFAULT_MAX = 200
// Texts remembered as seen once, per name that may still be given.
const SEEN_PER_NAME = 4

/**
 * `pool` for Kysely's `PostgresDialect`, whose clients send each query that has parameters as a named
 * prepared statement, so PostgreSQL parses and plans it once per connection instead of on every query.
 * The name comes from the SQL text, so every connection shares it.
 *
 * A text gets its name the second time it runs, and only the first `max` texts that come back get
 * one, so one-off and dynamic SQL cannot make every connection hold unbounded prepared statements. Queries without parameters (`begin`, `commit`, migrations with several
 * statements) and cursors go as before.
 *
 * After a schema change that alters the columns a named statement returns, PostgreSQL answers "cached
 * plan must not change result type" to it on connections that prepared it, as for any prepared
 * statement: restart the app, or end the pool's connections.
 *
 * @example
 * ```ts
 * const db = new Kysely<AppDB>({ dialect: new PostgresDialect({ pool: pgNamedStatements(new pg.Pool()) }) })
 * ```
 */
export function pgNamedStatements (pool: NamingPgPool, options: PgNamedStatementsOptions = {}): PostgresPool {
  const max = options.max ?? DEFAULT_MAX
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 1) {
    throw new InvalidOptionError('max', 'of pgNamedStatements() must be a positive integer')
  }
  const statementOf = namer(max)
  // Kysely keys its connections by client object: a new wrapper per checkout would make it create a
  // connection (and run onCreateConnection) every time.
  const wrapped = new WeakMap<NamingPgClient, PostgresPoolClient>()
  const named = {
    async connect () {
      const client = await pool.connect()
      let found = wrapped.get(client)
      if (found === undefined) {
        found = namingClient(client, statementOf)
        wrapped.set(client, found)
      }
      return found
    },
    async end () { await pool.end() },
    // Read by Kysely 0.29 to cancel a query from a connection of its own.
    get options () { return pool.options },
    get Client () { return pool.Client }
  }
  return named
}

function namingClient (client: NamingPgClient, statementOf: (text: string) => NamedQueryConfig | undefined): PostgresPoolClient {
  function query<R> (sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>
  function query<R> (cursor: PostgresCursor<R>): PostgresCursor<R>
  function query<R> (first: string | PostgresCursor<R>, parameters: ReadonlyArray<unknown> = []): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof first !== 'string') return client.query(first)
    // A text without parameters goes by the simple protocol, which allows several statements in one text.
    const statement = parameters.length === 0 ? undefined : statementOf(first)
    if (statement === undefined) return client.query<R>(first, parameters)
    // A config whose name and text are its prototype's, and no property of its own: pg 8.23 copies the
    // config of every query property descriptor by descriptor, which took 1.6 µs alone for the
    // three of `{ name, text, values }` (3.4 to 4.6 µs a query under load), and copies nothing here.
    // A fresh one each time: older pg writes `values` onto the config it is given.
    return client.query<R>(Object.create(statement) as NamedQueryConfig, [...parameters])
  }
  const named = {
    query,
    // Kysely 0.29 asks to destroy a client it discarded (after a cancelled query).
    release (destroy?: boolean) { client.release(destroy) },
    get processID () { return client.processID }
  }
  return named
}

/**
 * A text's named statement from its second use on, for the first `max` texts used twice; the same
 * text gets the same name. A text used once (an id written into the SQL as a literal, say) never
 * takes a name from the texts that come back.
 */
function namer (max: number): (text: string) => NamedQueryConfig | undefined {
  const names = new Map<string, NamedQueryConfig>()
  const seenOnce = new LRUCache<string, true>({ max: max * SEEN_PER_NAME })
  return (text) => {
    const named = names.get(text)
    if (named !== undefined || names.size >= max) return named
    if (!seenOnce.has(text)) {
      seenOnce.set(text, true)
      return undefined
    }
    seenOnce.delete(text)
    // 96 bits of the hash: distinct texts do not meet, and pg refuses a name reused for another text.
    const statement = { name: `frp_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`, text }
    names.set(text, statement)
    return statement
  }
}
