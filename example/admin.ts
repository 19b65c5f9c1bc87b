import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'

export interface AdminOptions {
  /** The bearer token an admin request must carry. */
  readonly token: string
}

// Hashed first, so the comparison takes the same time whatever the length of what was sent.
const digest = (value: string): Buffer => createHash('sha256').update(value).digest()

/**
 * An admin screen's back end: sends a user a reset link from the app's own code, with
 * `fastify.resetPassword.users` and `fastify.resetPassword.sendLink`. A static token stands in
 * for the app's real admin authentication.
 */
export const adminRoutes: FastifyPluginAsync<AdminOptions> = async (app, { token }) => {
  const expected = digest(`Bearer ${token}`)
  app.addHook('onRequest', async (request, reply) => {
    if (!timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ detail: 'An admin token is required' })
    }
  })

  app.post<{ Params: { id: string } }>('/users/:id/send-reset-link', {
    schema: { params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]{1,18}$' } } } }
  }, async (request, reply) => {
    const user = await app.resetPassword.users.findById(request.params.id)
    if (user === null) return await reply.code(404).send({ detail: 'No user has this id' })
    // An admin is told why nothing will arrive.
    if (!app.resetPassword.sendLink(user)) {
      return await reply.code(409).send({ detail: 'The user is inactive or has no e-mail address: no link can be sent' })
    }
    return await reply.code(202).send({ detail: 'A reset link is on its way to the user\'s e-mail address' })
  })
}
