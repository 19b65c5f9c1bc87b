import { randomBytes } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import resetPassword, { kyselyUsers, type ResetPasswordOptions } from '../lib/index.js'
import { openDatabase } from './db.js'
import { sessionRoutes } from './sessions.js'
import { pages } from './pages.js'
import { adminRoutes } from './admin.js'

export interface ExampleOptions {
  /** The SQLite file. */
  readonly database: string
  /** Delete the SQLite file first, so the demo user has its first password again. */
  readonly freshDatabase?: boolean
  /** Where the frontend's reset page is served; the mailed link points there. */
  readonly publicUrl: string
  /** SMTP URL; without it, mail is printed to the console. */
  readonly smtpUrl?: string | undefined
  readonly secret?: string | undefined
  /** Bearer token of the admin route `POST /api/v1/admin/users/:id/send-reset-link`; without it, the route is absent. */
  readonly adminToken?: string | undefined
  readonly logger?: FastifyServerOptions['logger']
  /** Where printed mail goes (the console by default). */
  readonly print?: (text: string) => void
  /** Extra plugin options, for tests. */
  readonly plugin?: Partial<ResetPasswordOptions>
}

/**
 * The example app: a SQLite user table, the plugin under /api/v1/accounts, a login route that
 * proves a new password, the pages of the frontend, and an admin route that sends a user a link.
 */
export async function buildExample (options: ExampleOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false })
  // The demo user's password is hashed as the plugin will hash a new one.
  const db = await openDatabase(options.database, { fresh: options.freshDatabase === true, hash: options.plugin?.password?.hash })
  app.addHook('onClose', async () => { await db.destroy() })
  const print = options.print ?? ((text: string) => { console.log(text) })

  await app.register(resetPassword, {
    prefix: '/api/v1/accounts',
    // A random secret per start is fine for a demo; a real app reads a stable one from its secrets.
    secret: options.secret ?? randomBytes(32).toString('base64url'),
    verificationUrl: new URL('/reset-password/', options.publicUrl).href,
    users: kyselyUsers(db, { table: 'users', loginFields: ['username', 'email'] }),
    ...(options.smtpUrl === undefined
      ? { deliver: (message) => { print(`\n--- mail to ${message.to}: ${message.subject}\n${message.text}`) } }
      : { mail: { transport: options.smtpUrl, from: 'no-reply@example.com' } }),
    // The forgot page offers "Send me a code instead", and /reset-with-code/ takes it.
    codes: true,
    ...options.plugin
  })
  await app.register(sessionRoutes, { db })
  await app.register(pages)
  if (options.adminToken !== undefined && options.adminToken !== '') {
    await app.register(adminRoutes, { prefix: '/api/v1/admin', token: options.adminToken })
  }
  return app
}
