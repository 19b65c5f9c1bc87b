import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Settings } from './options.js'
import type { Workflow } from './reset-password.js'
import { rateLimits } from './rate-limit.js'
import { errorHandler } from './error-handler.js'
import { hidden, resetPasswordSchema, sendLinkSchema, verifyLinkSchema, type Detail } from './schemas.js'
import { handlers } from './handlers.js'
import { useStrictJson } from './json.js'
import { validatorCompiler } from './validator.js'

export interface RoutesOptions {
  readonly settings: Settings
  readonly workflow: Workflow
}

// Small: the largest valid body is a 4096-character password plus three short fields.
export const BODY_LIMIT = 32 * 1024

// Sent on every reply of both routes, errors included: nothing here may be cached, and the
// frontend page's address (which holds the signature) must not leak onwards.
export const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff'
}

export const SENT: Detail = { detail: 'If the login belongs to an account, a reset link was sent to its e-mail address' }

/** Both routes, in an encapsulated context: their parser, validator and error handler stay theirs. */
export const routes: FastifyPluginAsync<RoutesOptions> = async (parent, { settings, workflow }) => {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>()
  const limits = await rateLimits(app as unknown as FastifyInstance, settings.rateLimit, settings.storeTimeout)
  const handle = handlers(settings, workflow, SENT)

  // JSON only: a cross-site form post or a text/plain fetch gets 415 and cannot trigger a mail.
  useStrictJson(app as unknown as FastifyInstance, BODY_LIMIT)
  app.setValidatorCompiler(validatorCompiler)
  app.setErrorHandler(errorHandler)
  app.addHook('onSend', async (_request, reply) => { reply.headers(SECURITY_HEADERS) })

  for (const url of ['/send-reset-password-link', '/send-reset-password-link/']) {
    app.post(url, {
      bodyLimit: BODY_LIMIT,
      schema: url.endsWith('/') ? hidden(sendLinkSchema) : sendLinkSchema,
      onRequest: limits.sendLink.onRequest,
      preHandler: limits.sendLink.preHandler
    }, async (request) => await handle.sendLink(request, request.body))
  }

  const schema = resetPasswordSchema(settings.passwordConfirm)
  for (const url of ['/reset-password', '/reset-password/']) {
    app.post(url, {
      bodyLimit: BODY_LIMIT,
      schema: url.endsWith('/') ? hidden(schema) : schema,
      onRequest: limits.resetPassword.onRequest,
      preHandler: limits.resetPassword.preHandler
    }, async (request) => await handle.resetPassword(request, request.body))
  }

  // reset-password's limiters, so their buckets: checking a link first adds no guesses against it.
  for (const url of ['/verify-reset-password-link', '/verify-reset-password-link/']) {
    app.post(url, {
      bodyLimit: BODY_LIMIT,
      schema: url.endsWith('/') ? hidden(verifyLinkSchema) : verifyLinkSchema,
      onRequest: limits.resetPassword.onRequest,
      preHandler: limits.resetPassword.preHandler
    }, async (request) => await handle.verifyLink(request.body))
  }
}
