import pg from 'pg'
import { storedHash } from './users.js'

export const PG_TABLE = 'bench_users'

/**
 * (Re)creates `table` (default `bench_users`) with `users` users in one transaction: one insert from generate_series,
 * then the indexes the lookups use (unique username, lower(email)). A few seconds for 100,000 users.
 */
export async function seedPostgres (url: string, users: number, table = PG_TABLE): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('begin')
    await client.query(`drop table if exists ${table}`)
    await client.query(`create table ${table} (
      id serial primary key,
      username varchar(150) not null unique,
      email varchar(254),
      password_hash varchar(255) not null,
      is_active boolean not null default true
    )`)
    await client.query(`insert into ${table} (username, email, password_hash)
      select 'user' || i, 'user' || i || '@example.com', $1 from generate_series(1, $2::int) as i`, [await storedHash(), users])
    await client.query(`create index ${table}_lower_email on ${table} (lower(email))`)
    await client.query('commit')
    await client.query(`analyze ${table}`)
  } catch (err) {
    await client.query('rollback')
    throw err
  } finally {
    await client.end()
  }
}
