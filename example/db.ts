import Database from 'better-sqlite3'
import { Kysely, SqliteDialect, sql, type Generated } from 'kysely'
import { hashPassword } from '../lib/index.js'

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

/** Opens (creating if needed) the SQLite file, migrates it and adds the demo user once. */
export async function openDatabase (file: string): Promise<Kysely<ExampleDB>> {
  const db = new Kysely<ExampleDB>({ dialect: new SqliteDialect({ database: new Database(file) }) })
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
      password_hash: await hashPassword(DEMO_USER.password)
    }).execute()
  }
  return db
}
