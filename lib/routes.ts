import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Settings } from './options.js'
import type { Workflow } from './reset-password.js'
import { rateLimits, type RouteLimits } from './rate-limit.js'
import { errorHandler } from './error-handler.js'
import { hidden, resetPasswordSchema, sendLinkSchema, verifyLinkSchema, type Detail } from './schemas.js'
import { handlers } from './handlers.js'
import { useStrictJson } from './json.js'
import { validatorCompiler } from './validator.js'
import { createCodeWorkflow } from './codes/workflow.js'
import { codeHandlers } from './codes/handlers.js'
import { resetWithCodeSchema, sendCodeSchema } from './codes/schemas.js'

export interface RoutesOptions {
  readonly settings: Settings
  readonly workflow: Workflow
}

// Small: the largest valid body is a 4096-character password plus three short fields.
export const BODY_LIMIT = 32 * 1024

// Sent on every reply of every route, errors included: nothing here may be cached, and the
// frontend page's address (which holds the signature) must not leak onwards.
export const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff'
}

/**
 * Sets SECURITY_HEADERS when a request arrives, so that every reply carries them, errors included
 * (Fastify's error path keeps the headers set before it). A callback hook: no promise per request,
 * as an async onSend hook cost.
 */
export function securityHeaders (_request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  reply.headers(SECURITY_HEADERS)
  done()
}

export const SENT: Detail = { detail: 'If the login belongs to an account, a reset link was sent to its e-mail address' }

/** One route: registered at `url` and at its trailing-slash twin, which the OpenAPI document leaves out. */
interface Route {
  readonly url: string
  readonly schema: { readonly body: object }
  readonly limits: RouteLimits
  // `never`: each handler names the body shape it relies on, which `schema` has checked before it runs.
  readonly handler: (request: FastifyRequest, body: never) => Promise<Detail>
}

/** Every route, in an encapsulated context: their parser, validator and error handler stay theirs. */
export const routes: FastifyPluginAsync<RoutesOptions> = async (parent, { settings, workflow }) => {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>()
  const limits = await rateLimits(app as unknown as FastifyInstance, settings.rateLimit, settings.storeTimeout)
  const handle = handlers(settings, workflow, SENT)

  // JSON only: a cross-site form post or a text/plain fetch gets 415 and cannot trigger a mail.
  useStrictJson(app as unknown as FastifyInstance, BODY_LIMIT)
  app.setValidatorCompiler(validatorCompiler)
  app.setErrorHandler(errorHandler)
  app.addHook('onRequest', securityHeaders)

  const table: Route[] = [
    { url: '/send-reset-password-link', schema: sendLinkSchema, limits: limits.sendLink, handler: handle.sendLink },
    { url: '/reset-password', schema: resetPasswordSchema(settings.passwordConfirm), limits: limits.resetPassword, handler: handle.resetPassword },
    // reset-password's limiters, so their buckets: checking a link first adds no guesses against it.
    { url: '/verify-reset-password-link', schema: verifyLinkSchema, limits: limits.resetPassword, handler: async (_request, body) => await handle.verifyLink(body) }
  ]
  if (settings.codes !== undefined) {
    const code = codeHandlers(settings, createCodeWorkflow(settings, settings.codes, workflow, app.log))
    table.push(
      // One per-login bucket with send-link: asking for a code instead of a link does not double the mail a login can get.
      { url: '/send-reset-password-code', schema: sendCodeSchema, limits: limits.sendLink, handler: code.sendCode },
      { url: '/reset-password-with-code', schema: resetWithCodeSchema(settings.passwordConfirm), limits: limits.resetWithCode, handler: code.resetWithCode }
    )
  }

  for (const route of table) {
    for (const url of [route.url, `${route.url}/`]) {
      // The handler's promise is returned as it is: an async wrapper here was one promise more per request.
      app.post(url, {
        bodyLimit: BODY_LIMIT,
        schema: url.endsWith('/') ? hidden(route.schema) : route.schema,
        onRequest: route.limits.onRequest,
        preHandler: route.limits.preHandler
      }, (request) => route.handler(request, request.body as never))
    }
  }
}
