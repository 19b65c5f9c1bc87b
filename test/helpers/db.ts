import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql } from 'kysely'
import type { ColumnType, Dialect, Generated } from 'kysely'
import { createPool } from 'mysql2'
import pg from 'pg'
import type { Test } from 'tap'

/** Every database the suite runs against. Loop over it to run one test per dialect. */
export const dialects = ['sqlite', 'postgres', 'mariadb'] as const
export type DialectName = typeof dialects[number]

/** A table made by {@link createUsersTable}. */
export interface UsersTable {
  id: Generated<number>
  username: string | null
  email: string | null
  password_hash: string
  /** Read: a boolean on PostgreSQL, 0 or 1 elsewhere. Write 0 or 1, which all three accept. */
  is_active: ColumnType<boolean | number, 0 | 1 | undefined, 0 | 1>
}

/** Tables are named per test, so every name maps to {@link UsersTable}. */
export type TestDB = Record<string, UsersTable>

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'
const START = {
  postgres: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or set PG_URL)',
  mariadb: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd (or set MYSQL_URL)'
}

interface Opened {
  readonly t: Test
  readonly dialect: DialectName
}

// The test and dialect each database was opened for, so tables can be dropped in its teardown.
const opened = new WeakMap<Kysely<TestDB>, Opened>()

/**
 * A database for `t`, destroyed in its teardown: SQLite in a fresh file, or a pool to the
 * PostgreSQL (`PG_URL`) or MariaDB (`MYSQL_URL`) server. When the server cannot be reached the test
 * fails under CI; elsewhere it records a skip saying how to start the server and returns null.
 *
 * @example
 * ```ts
 * for (const dialect of dialects) {
 *   t.test(dialect, async t => {
 *     const db = await openDatabase(t, dialect)
 *     if (db === null) return
 *     const table = await createUsersTable(db, dialect)
 *     const id = await insertUser(db, table, { email: 'alice@example.com' })
 *   })
 * }
 * ```
 */
export async function openDatabase (t: Test, dialect: DialectName): Promise<Kysely<TestDB> | null> {
  if (dialect === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'fastify-reset-password-'))
    const db = new Kysely<TestDB>({ dialect: new SqliteDialect({ database: new Database(join(dir, 'test.sqlite')) }) })
    opened.set(db, { t, dialect })
    t.teardown(async () => {
      await db.destroy()
      await rm(dir, { recursive: true, force: true })
    })
    return db
  }
  const db = new Kysely<TestDB>({ dialect: serverDialect(dialect) })
  try {
    await sql`select 1`.execute(db)
  } catch (error) { /* c8 ignore start: runs only when the server is down */
    await db.destroy()
    const message = `${dialect} is not reachable (${(error as Error).message}); start it with: ${START[dialect]}`
    if (process.env.CI !== undefined && process.env.CI !== '') throw new Error(message, { cause: error })
    t.pass(message, { skip: true })
    return null
  } /* c8 ignore stop */
  opened.set(db, { t, dialect })
  t.teardown(async () => { await db.destroy() })
  return db
}

function serverDialect (dialect: 'postgres' | 'mariadb'): Dialect {
  if (dialect === 'postgres') {
    return new PostgresDialect({ pool: new pg.Pool({ connectionString: PG_URL, connectionTimeoutMillis: 5000 }) })
  }
  return new MysqlDialect({ pool: createPool({ uri: MYSQL_URL, connectTimeout: 5000 }) })
}

/**
 * Creates a {@link UsersTable} and returns its name, unique per call unless `options.table` is
 * given. It is dropped when the test that opened `db` ends. On SQLite and PostgreSQL it has the
 * `lower(email)` index that the adapter's e-mail lookup can use (MariaDB cannot index expressions);
 * on MariaDB it uses utf8mb4_general_ci, the 10.x default, whatever the server's default is.
 */
export async function createUsersTable (
  db: Kysely<TestDB>,
  dialect: DialectName,
  options: { readonly table?: string } = {}
): Promise<string> {
  const { t } = openedBy(db)
  const table = options.table ?? `users_${process.pid}_${randomBytes(4).toString('hex')}`
  await db.schema.createTable(table)
    .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', col =>
      dialect === 'postgres' ? col.primaryKey() : col.primaryKey().autoIncrement())
    .addColumn('username', 'varchar(150)', col => col.unique())
    .addColumn('email', 'varchar(254)')
    .addColumn('password_hash', 'varchar(255)', col => col.notNull())
    .addColumn('is_active', 'boolean', col => col.notNull().defaultTo(true))
    // Pinned, so that collation-dependent results do not change with the server's defaults.
    .$call(builder => dialect === 'mariadb' ? builder.modifyEnd(sql`character set utf8mb4 collate utf8mb4_general_ci`) : builder)
    .execute()
  // Teardowns run last-in first-out, so this runs before the database is destroyed.
  t.teardown(async () => { await db.schema.dropTable(table).execute() })
  if (dialect !== 'mariadb') {
    await db.schema.createIndex(`${table}_lower_email`).on(table).expression(sql`lower(email)`).execute()
  }
  return table
}

/**
 * Inserts a user into a {@link createUsersTable} table and returns its id as a string.
 * Defaults: no username, no e-mail, password hash `'initial-hash'`, active.
 */
export async function insertUser (
  db: Kysely<TestDB>,
  table: string,
  user: {
    readonly username?: string | null
    readonly email?: string | null
    readonly passwordHash?: string
    readonly isActive?: boolean
  }
): Promise<string> {
  const query = db.insertInto(table).values({
    username: user.username ?? null,
    email: user.email ?? null,
    password_hash: user.passwordHash ?? 'initial-hash',
    // better-sqlite3 cannot bind booleans; PostgreSQL reads an untyped 0 or 1 as a boolean.
    is_active: user.isActive === false ? 0 : 1
  })
  // PostgreSQL reports no insert id: ask for it back.
  if (openedBy(db).dialect === 'postgres') {
    const row = await query.returning('id').executeTakeFirstOrThrow()
    return String(row.id)
  }
  const result = await query.executeTakeFirstOrThrow()
  return String(result.insertId)
}

function openedBy (db: Kysely<TestDB>): Opened {
  const found = opened.get(db)
  if (found === undefined) throw new Error('open the database with openDatabase() first')
  return found
}
