import Database from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import type { PostgresPool, SqliteDatabase } from 'kysely'
import pg from 'pg'
import { expect, test } from 'tstyche'
import { pgNamedStatements, sqliteStatementCache } from '../../lib/index.js'
import type { CacheableSqliteDatabase, NamingPgPool, PgNamedStatementsOptions, SqliteStatementCacheOptions } from '../../lib/index.js'

test('a better-sqlite3 database goes in and SqliteDialect takes what comes out, without casts', () => {
  expect(new Database(':memory:')).type.toBeAssignableTo<CacheableSqliteDatabase>()
  expect(sqliteStatementCache(new Database(':memory:'))).type.toBe<SqliteDatabase>()
  expect(new SqliteDialect({ database: sqliteStatementCache(new Database(':memory:'), { max: 50 }) })).type.toBe<SqliteDialect>()
  expect(new Kysely<{ users: { id: number } }>({ dialect: new SqliteDialect({ database: sqliteStatementCache(new Database(':memory:')) }) })).type.toBe<Kysely<{ users: { id: number } }>>()
})

test('a pg pool goes in and PostgresDialect takes what comes out, without casts', () => {
  expect(new pg.Pool()).type.toBeAssignableTo<NamingPgPool>()
  expect(pgNamedStatements(new pg.Pool())).type.toBe<PostgresPool>()
  expect(new PostgresDialect({ pool: pgNamedStatements(new pg.Pool(), { max: 50 }) })).type.toBe<PostgresDialect>()
})

test('max is the one option, a number', () => {
  expect<SqliteStatementCacheOptions>().type.toBe<{ readonly max?: number }>()
  expect<PgNamedStatementsOptions>().type.toBe<{ readonly max?: number }>()
  expect(sqliteStatementCache).type.not.toBeCallableWith(new Database(':memory:'), { max: '50' })
  expect(pgNamedStatements).type.not.toBeCallableWith(new pg.Pool(), { size: 50 })
})

test('something that is not a database or a pool is rejected', () => {
  expect(sqliteStatementCache).type.not.toBeCallableWith({ close () {} })
  expect(pgNamedStatements).type.not.toBeCallableWith({ end: async () => {} })
})
