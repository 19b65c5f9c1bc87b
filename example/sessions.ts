import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import type { Kysely } from 'kysely'
import { verifyPassword } from '../lib/index.js'
import type { ExampleDB } from './db.js'

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
    const user = await db.selectFrom('users').selectAll().where((eb) => eb.or([eb('username', '=', login), eb('email', '=', login)])).executeTakeFirst()
    if (user === undefined || user.is_active !== 1 || !await verifyPassword(password, user.password_hash)) {
      return await reply.code(401).send({ detail: 'Wrong login or password' })
    }
    const session = randomBytes(24).toString('base64url')
    await db.insertInto('sessions').values({ id: session, user_id: user.id, created_at: Date.now() }).execute()
    return { detail: 'Logged in', session }
  })
}
