import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { openSqlite } from '../open-sqlite.js'
import { envString, serve } from '../servers/ipc.js'

// better-auth's request-password-reset on the same seeded SQLite data as the plugin, rate limiter
// off, mail dropped like the plugin's `deliver` does, logger off (ours logs nothing either).
// Its tables are made by its own migrations, then filled from the seeded `users` table.
//
// Imported by path at run time: better-auth lives in bench/peers/node_modules (BENCH_PEERS_DIR),
// installed by the bench on first run, so the type checker of a fresh clone must not need it, and this
// file runs from the bench's build folder, out of reach of that node_modules. These are the parts used.

interface Auth {
  readonly options: unknown
}
interface BetterAuthModule {
  betterAuth (options: Record<string, unknown>): Auth
}
interface NodeModule {
  toNodeHandler (auth: Auth): (request: IncomingMessage, response: ServerResponse) => unknown
}
interface MigrationModule {
  getMigrations (options: unknown): Promise<{ runMigrations (): Promise<void> }>
}
interface CryptoModule {
  hashPassword (password: string): Promise<string>
}

const resolve = createRequire(join(envString('BENCH_PEERS_DIR'), 'package.json')).resolve
const peer = async <T>(specifier: string): Promise<T> => await import(pathToFileURL(resolve(specifier)).href) as T

const { betterAuth } = await peer<BetterAuthModule>('better-auth')
const { toNodeHandler } = await peer<NodeModule>('better-auth/node')
const { getMigrations } = await peer<MigrationModule>('better-auth/db/migration')
const { hashPassword } = await peer<CryptoModule>('better-auth/crypto')

const db = openSqlite(envString('BENCH_DB_FILE'))
db.pragma('synchronous = NORMAL')

const auth = betterAuth({
  database: db,
  secret: 'Rk3v9Qp2Zx8Lm4Tn6Wb1Yc7Hd5Jf0Gs2Ua9Ke3Vo8',
  baseURL: 'http://127.0.0.1',
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  logger: { disabled: true },
  emailAndPassword: { enabled: true, sendResetPassword: async () => {} }
})

await (await getMigrations(auth.options)).runMigrations()
// Same users, same addresses; one stored hash in better-auth's own format, as for the plugin's table.
const now = new Date().toISOString()
const hash = await hashPassword('the-seeded-password')
db.transaction(() => {
  db.prepare(`insert into "user" (id, name, email, emailVerified, image, createdAt, updatedAt)
    select cast(id as text), username, email, 1, null, ?, ? from users`).run(now, now)
  db.prepare(`insert into account (id, accountId, providerId, userId, password, createdAt, updatedAt)
    select 'a' || id, cast(id as text), 'credential', cast(id as text), ?, ?, ? from users`).run(hash, now, now)
})()

const server = createServer(toNodeHandler(auth))

serve({
  listen: async () => await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => { resolve((server.address() as { port: number }).port) })
  }),
  close: async () => {
    await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    db.close()
  }
})
