import Database from 'better-sqlite3'
import { Kysely, SqliteDialect, type Generated } from 'kysely'
import { expect, test } from 'tstyche'
import { kyselyUsers, type KyselyUsersOptions, type ResetPasswordUser, type UserAdapter } from '../../lib/index.js'

test('a custom adapter over any store type-checks', () => {
  const store: ResetPasswordUser[] = []
  const custom = {
    async findByLogin (login: string) { return store.filter((u) => u.email === login) },
    async findById (id: string) { return store.find((u) => u.id === id) ?? null },
    async replacePasswordHash (id: string, expected: string, next: string) {
      const index = store.findIndex((u) => u.id === id && u.passwordHash === expected)
      if (index === -1) return false
      store[index] = { ...store[index] as ResetPasswordUser, passwordHash: next }
      return true
    }
  }
  expect(custom).type.toBeAssignableTo<UserAdapter>()
})

test('an adapter that breaks the contract is rejected', () => {
  const { replacePasswordHash: _, ...partial } = {} as UserAdapter
  expect(partial).type.not.toBeAssignableTo<UserAdapter>()
  expect({
    async findByLogin () { return [] },
    async findById () { return undefined },
    async replacePasswordHash () { return true }
  }).type.not.toBeAssignableTo<UserAdapter>()
  expect({
    async findByLogin () { return [{ id: 1, email: null, username: null, passwordHash: '', isActive: true }] },
    async findById () { return null },
    async replacePasswordHash () { return true }
  }).type.not.toBeAssignableTo<UserAdapter>()
})

interface AppDB {
  auth_user: { id: Generated<number>, username: string, email: string, password: string, is_active: number }
  sessions: { id: string, user_id: number }
}

test("kyselyUsers accepts the app's own Kysely<AppDB>", () => {
  const db = new Kysely<AppDB>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) })
  expect(kyselyUsers(db)).type.toBe<UserAdapter>()
  expect(kyselyUsers(db, { table: 'auth_user', columns: { passwordHash: 'password', isActive: null }, loginFields: ['email'], idType: 'string' })).type.toBe<UserAdapter>()
})

test('kyselyUsers options of the wrong type are rejected', () => {
  expect<KyselyUsersOptions>().type.not.toBeAssignableFrom({ idType: 'uuid' })
  expect<KyselyUsersOptions>().type.not.toBeAssignableFrom({ loginFields: ['phone'] })
  expect<KyselyUsersOptions>().type.not.toBeAssignableFrom({ columns: { id: 1 } })
  expect<KyselyUsersOptions>().type.not.toBeAssignableFrom({ columns: { email: null } })
  expect(kyselyUsers).type.not.toBeCallableWith({ selectFrom: () => null })
})
