import { sql } from 'kysely'
import type { AliasedRawBuilder, CompiledQuery, Expression, Kysely, RawBuilder, SelectQueryBuilder } from 'kysely'
import { fold } from '../fold.js'
import { InvalidOptionError } from '../errors.js'
import type { ResetPasswordUser, UserAdapter } from './adapter.js'

/** A column a login is matched against, in the order given. */
export type LoginField = 'username' | 'email'

/** Column names of the users table. `null` means the table has no such column. */
export interface KyselyUsersColumns {
  /** Primary key. Default `'id'`. */
  readonly id?: string
  /** Default `'email'`. */
  readonly email?: string
  /** Default `'username'`; with `null`, users have no username and only e-mail logins work. */
  readonly username?: string | null
  /** Default `'password_hash'`. */
  readonly passwordHash?: string
  /** Default `'is_active'`; with `null`, every user is active. */
  readonly isActive?: string | null
}

export interface KyselyUsersOptions {
  /** The users table, optionally schema-qualified (`'auth.users'`). Default `'users'`. */
  readonly table?: string
  readonly columns?: KyselyUsersColumns
  /** Default `['username', 'email']`, or `['email']` when `columns.username` is null. */
  readonly loginFields?: readonly LoginField[]
  /**
   * `'integer'` (default): only decimal integers of up to 18 digits are looked up.
   * `'string'`: ids are compared as given, for text keys. Not for a PostgreSQL `uuid` column,
   * which fails the query on a malformed id instead of matching nothing.
   */
  readonly idType?: 'integer' | 'string'
}

interface Login {
  readonly field: LoginField
  readonly column: string
}

interface Settings {
  readonly table: string
  readonly columns: Readonly<Required<KyselyUsersColumns>>
  /** The login fields in the order they are tried. */
  readonly logins: readonly Login[]
  readonly idType: 'integer' | 'string'
}

interface UserRow {
  readonly id: unknown
  readonly email: string | null
  readonly username?: string | null
  readonly password_hash: string
  readonly is_active?: unknown
  /**
   * SQLite and PostgreSQL: 1 for the stand-in row an unknown login reads (standInEmailKey,
   * withStandInRow), 0 for a found one.
   */
  readonly decoy?: unknown
}

/** The users table's columns under the names byLogin reads. */
type SelectUsers = SelectQueryBuilder<any, any, UserRow>

const OPTION_KEYS = ['table', 'columns', 'loginFields', 'idType']
const COLUMN_KEYS = ['id', 'email', 'username', 'passwordHash', 'isActive'] as const
// At most 18 digits, so every accepted id fits a signed 64-bit integer.
const INTEGER_ID = /^(0|[1-9][0-9]{0,17})$/

/**
 * A {@link UserAdapter} over a users table, through the app's own Kysely instance.
 *
 * Usernames match exactly. E-mail matches case-insensitively the way Django does since
 * CVE-2019-19844: SQL narrows with `lower(email) = lower(login)`, then only rows whose stored
 * address equals the login after NFKC and Unicode case folding are kept, so look-alikes that a
 * collation calls equal (MariaDB: `mıke` = `mike`, `é` = `e`, trailing spaces) never match.
 * On SQLite and PostgreSQL an expression index serves that lookup
 * (`create index users_lower_email on users (lower(email))`); MariaDB cannot index `lower(email)`,
 * so there it scans the table. SQLite's `lower()` folds ASCII only, so there `Émile@…` and
 * `émile@…` are different addresses; so are they on PostgreSQL databases with the `C` locale.
 *
 * On MariaDB and MySQL the login columns must be utf8mb4: against a latin1 column, a login outside
 * Latin-1 fails the query ("Illegal mix of collations"). Ids above 2^53 need a driver that returns
 * them as strings or bigints (pg does; mysql2 needs `supportBigNumbers` and `bigNumberStrings`,
 * better-sqlite3 `safeIntegers`); otherwise findById finds nobody for them.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3'
 * import { Kysely, SqliteDialect } from 'kysely'
 * import { kyselyUsers } from 'fastify-reset-password'
 *
 * interface AppDB {
 *   auth_user: { id: number, username: string, email: string, password: string, is_active: number }
 * }
 * const db = new Kysely<AppDB>({ dialect: new SqliteDialect({ database: new Database('app.db') }) })
 * const users = kyselyUsers(db, { table: 'auth_user', columns: { passwordHash: 'password' } })
 * ```
 */
export function kyselyUsers<DB> (db: Kysely<DB>, options: KyselyUsersOptions = {}): UserAdapter {
  const settings = resolve(options)
  const { table, columns } = settings
  // The table is only known at run time, so the app's DB type cannot describe it.
  const anyDb = db as unknown as Kysely<any>

  // Each column the lookups read, under the name a UserRow gives it.
  const selected: ReadonlyArray<readonly [keyof UserRow, string]> = [
    ['id', columns.id],
    ['email', columns.email],
    ['password_hash', columns.passwordHash],
    ...(columns.username === null ? [] : [['username', columns.username] as const]),
    ...(columns.isActive === null ? [] : [['is_active', columns.isActive] as const])
  ]

  function selectUsers (): SelectUsers {
    return anyDb.selectFrom(table).select(eb => selected.map(([name, column]) => eb.ref(column).as(name))).$castTo<UserRow>()
  }

  function toUser (row: UserRow): ResetPasswordUser {
    return {
      id: String(row.id),
      email: row.email,
      username: row.username ?? null,
      passwordHash: row.password_hash,
      // PostgreSQL gives booleans, SQLite and MariaDB 0 or 1 (1n with better-sqlite3's safeIntegers).
      // Fail closed: null or anything unexpected counts as inactive.
      isActive: columns.isActive === null || row.is_active === true || row.is_active === 1 || row.is_active === 1n
    }
  }

  // SQLite with statistics (sqlite_stat4, which ANALYZE and PRAGMA optimize write) compiles a statement
  // again on every run that binds a parameter its planner could look up in them, as the login against a
  // non-unique index is (`lower(email) = lower(?)`). Alone, on the benchmark's file, that made a probe
  // of the e-mail index 7.5 µs instead of 3.0; under load it was a fifth of send-link's CPU. Behind a scalar subquery the
  // planner cannot see the value, and the plan is the same index lookup. SQLite only: the others do
  // not re-plan per value this way, and MySQL might not match a functional index against a subquery.
  const sqlite = sqliteCompiler(anyDb)
  const login = sqlite ? sql<string>`(select ${''})` : sql.val('')
  // SQLite's stand-in is its e-mail key: on PostgreSQL that longer statement took 0.14 ms more to plan
  // without pgNamedStatements, and with it an unknown login took 4.6 µs longer than an existing one
  // (p 0.002), so PostgreSQL has its own (withStandInRow). MySQL and MariaDB have neither: they cannot
  // index lower(email), and each subquery would scan the table again.
  const standIn = sqlite && settings.logins.some(({ field }) => field === 'email')
  const postgres = !sqlite && postgresCompiler(anyDb)
  const emailKey = standIn ? standInEmailKey(settings, login) : sql`lower(${login})`
  // The e-mail branch says which of its rows is the stand-in (1); the other branches have none.
  const decoy = (field: LoginField, column: string): Array<AliasedRawBuilder<unknown, 'decoy'>> => standIn
    ? [(field === 'email' ? sql`case when lower(${sql.ref(column)}) = lower(${login}) then 0 else 1 end` : sql.lit(0)).as('decoy')]
    : postgres ? [sql.lit(0).as('decoy')] : []

  // One query over every login field, then the first field with matches wins: an existing login
  // costs the same queries as an unknown one, so the response time does not tell them apart.
  // A UNION ALL of one indexed lookup per field: an OR of both made SQLite merge two indexes and sort
  // the result in a temporary B-tree. Compiled once: building and compiling it was a third of the cost
  // of a lookup on SQLite. Every parameter of the query is the login, so a call only swaps the values.
  const [first, ...others] = settings.logins.map(({ field, column }) => selectUsers().select(decoy(field, column)).where(eb => field === 'email'
    ? eb(eb.fn('lower', [eb.ref(column)]), '=', emailKey)
    : eb(eb.ref(column), '=', login)))
  const matches = others.reduce((query, next) => query.unionAll(next), first as SelectUsers)
  const loginQuery: CompiledQuery<UserRow> = postgres ? withStandInRow(matches, selectUsers, selected.map(([name]) => name)).compile(anyDb) : matches.compile()

  async function byLogin (login: string): Promise<ResetPasswordUser[]> {
    const { rows: read } = await anyDb.executeQuery<UserRow>({ ...loginQuery, parameters: loginQuery.parameters.map(() => login) })
    const folded = fold(login)
    const matches: Record<LoginField, (row: UserRow) => boolean> = {
      // MariaDB's default collations ignore case and trailing spaces; a username must match as typed.
      username: row => row.username === login,
      email: row => row.email !== null && fold(row.email) === folded
    }
    // The stand-in row is matched as a found one is, its address folded too, and dropped after: so an
    // unknown login does the work a found one does here, short of making a user of it.
    const kept = standIn || postgres ? (row: UserRow) => row.decoy === 0 || row.decoy === 0n : () => true
    for (const { field } of settings.logins) {
      const users = read.filter(row => matches[field](row) && kept(row))
      if (users.length > 0) return inIdOrder(users).map(toUser)
    }
    return []
  }

  function idOperand (id: string): string | number | RawBuilder<bigint> | null {
    if (settings.idType === 'string') return id.includes('\u0000') ? null : id
    if (!INTEGER_ID.test(id)) return null
    const value = Number(id)
    if (value <= INT4_MAX) return value
    // Past int4, a literal, not a parameter: PostgreSQL types a parameter as the column (int4) and
    // throws when the value is out of its range, while a literal is typed by its own size and just
    // compares unequal. The pattern above admits digits only, so nothing else reaches the SQL.
    return sql.lit(BigInt(id))
  }

  // Compiled once, as the login query, for every id a parameter can carry; with placeholders that
  // a call swaps for its values. A literal id is a query of its own, built when it comes.
  const byIdQuery = selectUsers().where(columns.id, '=', ID).compile()
  const replaceQuery = anyDb.updateTable(table).set(columns.passwordHash, NEW_HASH)
    .where(columns.id, '=', ID).where(columns.passwordHash, '=', EXPECTED_HASH).compile()
  const bind = <R>(query: CompiledQuery<R>, values: Readonly<Record<string, unknown>>): CompiledQuery<R> =>
    ({ ...query, parameters: query.parameters.map(name => values[name as string]) })

  return {
    // Not async itself: byLogin's promise as it is, with no layer around it.
    findByLogin (login) {
      // PostgreSQL rejects U+0000 in a text parameter, and no stored login holds it.
      return login.includes('\u0000') ? Promise.resolve([]) : byLogin(login)
    },

    async findById (id) {
      const key = idOperand(id)
      if (key === null) return null
      const [row] = typeof key === 'object'
        ? [await selectUsers().where(columns.id, '=', key).executeTakeFirst()]
        : (await anyDb.executeQuery(bind(byIdQuery, { [ID]: key }))).rows
      // MariaDB's collations find 'u-1' for 'U-1 '. Integer ids are canonical, so this holds for them too.
      return row === undefined || String(row.id) !== id ? null : toUser(row)
    },

    async replacePasswordHash (id, expectedHash, newHash) {
      const key = idOperand(id)
      if (key === null) return false
      // mysql2 counts matched rows (CLIENT_FOUND_ROWS), as PostgreSQL and SQLite do.
      const { numAffectedRows } = typeof key === 'object'
        ? { numAffectedRows: (await anyDb.updateTable(table).set(columns.passwordHash, newHash).where(columns.id, '=', key)
            .where(columns.passwordHash, '=', expectedHash).executeTakeFirst()).numUpdatedRows }
        : await anyDb.executeQuery(bind(replaceQuery, { [ID]: key, [NEW_HASH]: newHash, [EXPECTED_HASH]: expectedHash }))
      return numAffectedRows === 1n
    }
  }
}

// The largest id passed as a parameter: it fits every integer column type of the three databases.
const INT4_MAX = 2_147_483_647
// Placeholders of the compiled queries: no real value starts with U+0000 (ids and hashes with it are refused).
const ID = '\u0000id'
const NEW_HASH = '\u0000new-hash'
const EXPECTED_HASH = '\u0000expected-hash'

const INTEGER_TEXT = /^-?[0-9]+$/

/**
 * SQLite: the key the e-mail branch looks up. It is the login's own (lowered) when the login is an
 * address on file or, with usernames, a username on file; otherwise the first address that sorts at or
 * after it (the last one when none does), and byLogin drops that stand-in row. So every login reads one
 * user row: reading a found row was the whole of the time an existing login took longer than an
 * unknown one (7 to 16 µs at the median in `npm run bench:timing` on the hosts measured, p down to 3e-29).
 * A CASE evaluates only the branch it takes; the subqueries read the index alone.
 */
function standInEmailKey ({ table, columns, logins }: Settings, login: RawBuilder<string>): RawBuilder<string> {
  const from = sql.table(table)
  const key = sql`lower(${sql.ref(columns.email)})`
  // A login past the last address starts from the last one: every login pays the same two probes,
  // and none tells by its time where the last address sorts.
  const after = sql<string>`(select ${key} from ${from} where ${key} >= min(lower(${login}), (select max(${key}) from ${from})) order by ${key} limit 1)`
  const username = logins.find(({ field }) => field === 'username')
  if (username === undefined) return after
  // An existing username has read its row: the e-mail branch then reads none. Either way one of the
  // two `after` is asked, so that both sides pay its probes.
  const taken = sql`exists (select 1 from ${from} where ${sql.ref(username.column)} = ${login})`
  return sql`(select case when ${taken} and ${after} is not null then lower(${login}) else ${after} end)`
}

/**
 * PostgreSQL: the rows of `matches` or, when it has none, one stand-in that byLogin drops: the first
 * row a scan of the table meets, read only then (a LATERAL join behind a one-time filter). So every
 * login reads one user row and receives one, as on SQLite. Without it the found row's read, sending
 * and parsing made an existing login 15 to 20 µs slower than an unknown one in the statement alone,
 * and 12 to 13 µs in `npm run bench:timing` (p below 1e-13). With it the statement alone is even to
 * within 2.5 µs either way, and what the timing bench still sees is the JavaScript around it
 * (SECURITY.md, Timing). A row of NULLs alone, without the read, left 6 to 7 µs; reaching
 * the stand-in through more index probes made unknown logins slower still. Without pgNamedStatements
 * this statement takes about 0.1 ms longer to plan, on every call.
 */
function withStandInRow (matches: Expression<UserRow>, selectUsers: () => SelectUsers, names: readonly string[]): RawBuilder<UserRow> {
  const found = sql.join(names.map(name => sql`coalesce(${sql.ref(`u.${name}`)}, ${sql.ref(`s.${name}`)}) as ${sql.id(name)}`))
  const standIn = selectUsers().where(sql<boolean>`${sql.ref('u.decoy')} is null`).limit(sql.lit(1))
  return sql<UserRow>`select ${found}, coalesce(${sql.ref('u.decoy')}, 1) as ${sql.id('decoy')} from (select 1) as ${sql.id('d')} left join lateral (${matches}) as ${sql.id('u')} on true left join lateral (${standIn}) as ${sql.id('s')} on true`
}

/**
 * Whether `db` compiles for SQLite, told by the SQL it writes: double-quoted names and `?` for a
 * parameter (PostgreSQL writes `$1`, MySQL backquotes names). An app's own Kysely may come from
 * another copy of the package, so its adapter's class is not compared.
 */
function sqliteCompiler (db: Kysely<any>): boolean {
  return probeSql(db).endsWith('"c" = ?')
}

/** Whether `db` compiles for PostgreSQL: double-quoted names and `$1` for a parameter. */
function postgresCompiler (db: Kysely<any>): boolean {
  return probeSql(db).endsWith('"c" = $1')
}

function probeSql (db: Kysely<any>): string {
  // Without the app's plugins, which would see (and a recorder would keep) this query that never runs.
  return db.withoutPlugins().selectFrom('t').select('c').where('c', '=', '').compile().sql
}

/**
 * Rows of one user once each (a user whose username is also an address comes from two branches of
 * the union), in id order: numeric ids as numbers (PostgreSQL's bigint arrives as text), others as
 * text. Accounts that share an address are mailed in this order.
 */
function inIdOrder (rows: UserRow[]): UserRow[] {
  if (rows.length === 1) return rows
  const unique = [...new Map(rows.map(row => [String(row.id), row])).values()]
  return unique.sort((a, b) => {
    const [x, y] = [idKey(a.id), idKey(b.id)]
    // Numbers before text, so that the order is total.
    if (typeof x !== typeof y) return typeof x === 'bigint' ? -1 : 1
    return x < y ? -1 : x > y ? 1 : 0
  })
}

function idKey (id: unknown): bigint | string {
  const text = String(id)
  return INTEGER_TEXT.test(text) ? BigInt(text) : text
}


function resolve (options: KyselyUsersOptions): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'of kyselyUsers() must be an object')
  }
  rejectUnknown(options, OPTION_KEYS, '')
  const { table = 'users', columns: given = {}, idType = 'integer' } = options
  if (!isName(table)) throw new InvalidOptionError('table', 'must be a non-empty string')
  if (typeof given !== 'object' || given === null) throw new InvalidOptionError('columns', 'must be an object')
  rejectUnknown(given, COLUMN_KEYS, 'columns.')
  // Only undefined means the default: null is how a table says it lacks a column.
  const columns: Settings['columns'] = {
    id: given.id === undefined ? 'id' : given.id,
    email: given.email === undefined ? 'email' : given.email,
    username: given.username === undefined ? 'username' : given.username,
    passwordHash: given.passwordHash === undefined ? 'password_hash' : given.passwordHash,
    isActive: given.isActive === undefined ? 'is_active' : given.isActive
  }
  for (const key of COLUMN_KEYS) {
    const nullable = key === 'username' || key === 'isActive'
    if (!isName(columns[key]) && !(nullable && columns[key] === null)) {
      throw new InvalidOptionError(`columns.${key}`, `must be a non-empty string${nullable ? ' or null' : ''}`)
    }
  }
  if (idType !== 'integer' && idType !== 'string') {
    throw new InvalidOptionError('idType', "must be 'integer' or 'string'")
  }
  const fields: unknown = options.loginFields ?? (columns.username === null ? ['email'] : ['username', 'email'])
  const FIELDS_MUST = "must be a non-empty list of distinct 'username' and 'email'"
  if (!Array.isArray(fields) || fields.length === 0 || new Set(fields).size !== fields.length) {
    throw new InvalidOptionError('loginFields', FIELDS_MUST)
  }
  const logins = fields.map((field: unknown): Login => {
    if (field !== 'username' && field !== 'email') throw new InvalidOptionError('loginFields', FIELDS_MUST)
    const column = columns[field]
    if (column === null) throw new InvalidOptionError('loginFields', "cannot hold 'username' when columns.username is null")
    return { field, column }
  })
  return { table, columns, logins, idType }
}

function rejectUnknown (object: object, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) throw new InvalidOptionError(`${prefix}${key}`, 'is not a kyselyUsers() option')
  }
}

function isName (value: unknown): value is string {
  return typeof value === 'string' && value.length > 0
}
