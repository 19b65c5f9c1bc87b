import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import { verifyPassword, type ResetPasswordUser } from '../lib/index.js'
import type { ExampleDB } from './db.js'

/** The active user among `candidates` whose password is `password`. */
async function signIn (candidates: readonly ResetPasswordUser[], password: string): Promise<ResetPasswordUser | undefined> {
  for (const user of candidates) {
    if (user.isActive && await verifyPassword(password, user.passwordHash)) return user
  }
  return undefined
}

/**
 * A minimal login for the example: it proves that a reset password works, and shows the
 * `passwordReset` event revoking every session of the user.
 */
export const sessionRoutes: FastifyPluginAsync<{ db: Kysely<ExampleDB> }> = async (app, { db }) => {
  app.resetPassword.on('passwordReset', async ({ user }) => {
    await db.deleteFrom('sessions').where('user_id', '=', Number(user.id)).execute()
  })

  app.post<{ Body: { login: string, password: string } }>('/api/v1/accounts/login', {
    schema: {
      body: {
        type: 'object',
        required: ['login', 'password'],
        additionalProperties: false,
        properties: { login: { type: 'string', maxLength: 254 }, password: { type: 'string', maxLength: 4096 } }
      }
    }
  }, async (request, reply) => {
    const { login, password } = request.body
    // The plugin's own user adapter finds the user, so a login matches here exactly as it does for
    // send-link: usernames as typed, e-mail addresses after NFKC and Unicode case folding.
    const user = await signIn(await app.resetPassword.users.findByLogin(login), password)
    if (user === undefined) return await reply.code(401).send({ detail: 'Wrong login or password' })
    const session = randomBytes(24).toString('base64url')
    await db.insertInto('sessions').values({ id: session, user_id: Number(user.id), created_at: Date.now() }).execute()
    return { detail: 'Logged in', session }
  })
}
