import { rm } from 'node:fs/promises'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect, sql, type Generated } from 'kysely'
import { hashPassword, sqliteStatementCache } from '../lib/index.js'

export interface ExampleDB {
  users: {
    id: Generated<number>
    username: string
    email: string | null
    password_hash: string
    is_active: Generated<number>
  }
  sessions: {
    id: string
    user_id: number
    created_at: number
  }
}

export const DEMO_USER = { username: 'demo', email: 'demo@example.com', password: 'demo-password-1' } as const

export interface OpenOptions {
  /** Delete the file first. */
  readonly fresh?: boolean
  /** Hashes the demo user's password; the plugin's default hasher unless the app uses another. */
  readonly hash?: (password: string) => Promise<string>
}

/**
 * Opens (creating if needed) the SQLite file, migrates it and adds the demo user once. With
 * `fresh`, the file is deleted first: the demo starts over with the demo user's first password.
 */
export async function openDatabase (file: string, options: OpenOptions = {}): Promise<Kysely<ExampleDB>> {
  if (options.fresh === true) await rm(file, { force: true })
  const db = new Kysely<ExampleDB>({ dialect: new SqliteDialect({ database: sqliteStatementCache(new Database(file)) }) })
  await db.schema.createTable('users').ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('username', 'varchar(150)', (c) => c.notNull().unique())
    .addColumn('email', 'varchar(254)')
    .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
    .execute()
  await sql`create index if not exists users_email_lower on users (lower(email))`.execute(db)
  await db.schema.createTable('sessions').ifNotExists()
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .execute()
  const demo = await db.selectFrom('users').select('id').where('username', '=', DEMO_USER.username).executeTakeFirst()
  if (demo === undefined) {
    await db.insertInto('users').values({
      username: DEMO_USER.username,
      email: DEMO_USER.email,
      password_hash: await (options.hash ?? hashPassword)(DEMO_USER.password)
    }).execute()
  }
  return db
}
