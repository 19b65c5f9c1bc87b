import Fastify, { type FastifyInstance, type FastifyServerOptions, type LightMyRequestResponse } from 'fastify'
import type { Kysely } from 'kysely'
import resetPassword, { kyselyUsers, hashPassword, type ResetPasswordOptions } from '../../lib/index.js'
import { openDatabase, createUsersTable, insertUser, type TestDB } from './db.js'
import { startSmtpSink, type SmtpSink } from './smtp.js'
import type { Test } from 'tap'

export const SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz'
export const VERIFICATION_URL = 'https://frontend.example/reset-password/'
export const PREFIX = '/api/v1/accounts'
export const OLD_PASSWORD = 'old-password-for-tests'
export const NEW_PASSWORD = 'a-new-Passw0rd-that-is-fine'

// Cheap scrypt parameters: the default (OWASP) ones take ~0.3 s and 128 MiB per hash, which would
// make a suite of hundreds of resets slow without testing anything more.
export const cheapHash = async (password: string): Promise<string> => await hashPassword(password, { ln: 4 })

export interface TestUser {
  readonly id: string
  readonly username: string | null
  readonly email: string | null
}

export interface TestApp {
  readonly app: FastifyInstance
  readonly db: Kysely<TestDB>
  readonly table: string
  readonly sink: SmtpSink
  readonly clock: { now: number }
  /** Adds a user with OLD_PASSWORD (hashed cheaply). */
  addUser (user: { username?: string | null, email?: string | null, isActive?: boolean, password?: string }): Promise<TestUser>
  /** The stored hash of a user. */
  hashOf (id: string): Promise<string>
  /** POSTs JSON to a route under the prefix, from 127.0.0.1 unless `remoteAddress` is given. */
  post (route: string, body: unknown, headers?: Record<string, string>, remoteAddress?: string): Promise<LightMyRequestResponse>
}



/**
 * An app with the plugin against a real database (SQLite file by default) and a real SMTP sink,
 * closed in teardown. Returns null when the database is unreachable outside CI (the test is skipped).
 */
export async function buildApp (
  t: Test,
  options: {
    dialect?: 'sqlite' | 'postgres' | 'mariadb'
    plugin?: Partial<ResetPasswordOptions>
    sink?: SmtpSink
    /** Fastify's own options, e.g. `trustProxy` or `logger`. */
    fastify?: FastifyServerOptions
    /** Runs on the app before the plugin is registered, e.g. to register @fastify/rate-limit first. */
    before?: (app: FastifyInstance) => Promise<unknown> | unknown
  } = {}
): Promise<TestApp | null> {
  const dialect = options.dialect ?? 'sqlite'
  const db = await openDatabase(t, dialect)
  if (db === null) return null
  const table = await createUsersTable(db, dialect)
  const sink = options.sink ?? await startSmtpSink(t)
  const clock = { now: Date.UTC(2026, 0, 1) }
  const app = Fastify(options.fastify)
  t.teardown(async () => { await app.close() })
  await options.before?.(app)
  await app.register(resetPassword, {
    prefix: PREFIX,
    secret: SECRET,
    verificationUrl: VERIFICATION_URL,
    users: kyselyUsers(db, { table }),
    password: { hash: cheapHash },
    queue: { retryDelay: 10, maxRetryDelay: 50 },
    rateLimit: false,
    now: () => clock.now,
    ...options.plugin,
    mail: { transport: sink.url, from: 'no-reply@example.com', ...options.plugin?.mail }
  })
  await app.ready()
  return {
    app,
    db,
    table,
    sink,
    clock,
    async addUser ({ username = null, email = null, isActive = true, password = OLD_PASSWORD }) {
      const id = await insertUser(db, table, { username, email, isActive, passwordHash: await cheapHash(password) })
      return { id, username, email }
    },
    async hashOf (id) {
      const row = await (db as Kysely<any>).selectFrom(table).select('password_hash').where('id', '=', Number(id)).executeTakeFirstOrThrow()
      return row.password_hash as string
    },
    async post (route, body, headers = {}, remoteAddress) {
      return await app.inject({
        method: 'POST',
        ...(remoteAddress === undefined ? {} : { remoteAddress }),
        url: `${PREFIX}/${route}`,
        headers: { 'content-type': 'application/json', ...headers },
        payload: typeof body === 'string' ? body : JSON.stringify(body)
      })
    }
  }
}
