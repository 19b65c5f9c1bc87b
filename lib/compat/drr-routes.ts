import type { FastifyPluginAsync } from 'fastify'
import formbody from '@fastify/formbody'
import type { RoutesOptions } from '../routes.js'
import { BODY_LIMIT, securityHeaders } from '../routes.js'
import { handlers } from '../handlers.js'
import { rateLimits } from '../rate-limit.js'
import { useStrictJson } from '../json.js'
import { hidden } from '../schemas.js'
import { drrErrorHandler } from './drr-errors.js'
import {
  drrBodySchema,
  drrValidator,
  resetPasswordFields,
  sendLinkFields,
  type DrrResetPasswordBody,
  type DrrSendLinkBody
} from './drr-schemas.js'

// rest_registration/api/views/reset_password.py: the message depends on RESET_PASSWORD_FAIL_WHEN_USER_NOT_FOUND.
const SENT = { detail: 'Reset link sent' }
const SENT_IF_FOUND = { detail: 'Reset link sent if the user exists in database' }

/**
 * The two routes as django-rest-registration 0.9 answers them (`compat: 'django-rest-registration'`),
 * on the same workflow as the plugin's own routes: only parsing, validation and reply bodies differ.
 */
export const drrRoutes: FastifyPluginAsync<RoutesOptions> = async (app, { settings, workflow }) => {
  const limits = await rateLimits(app, settings.rateLimit, settings.storeTimeout)
  const handle = handlers(settings, workflow, settings.failWhenUserNotFound ? SENT : SENT_IF_FOUND)

  // DRF's default parsers: JSON and form-encoded. Multipart is not taken (see docs/migrating-from-django-rest-registration.md).
  // DRF reads an empty body as no data, so each field is then reported missing.
  useStrictJson(app, BODY_LIMIT, () => ({}))
  // Of repeated keys the last counts, as QueryDict.get in Django.
  await app.register(formbody, { bodyLimit: BODY_LIMIT, parser: (text) => Object.fromEntries(new URLSearchParams(text)) })
  app.setErrorHandler(drrErrorHandler)
  app.addHook('onRequest', securityHeaders)

  const sendLink = sendLinkFields(settings.useEmail)
  for (const url of ['/send-reset-password-link/', '/send-reset-password-link']) {
    app.post<{ Body: DrrSendLinkBody }>(url, {
      bodyLimit: BODY_LIMIT,
      schema: url.endsWith('/') ? { body: drrBodySchema(sendLink) } : hidden({ body: drrBodySchema(sendLink) }),
      validatorCompiler: () => drrValidator(sendLink),
      onRequest: limits.sendLink.onRequest,
      preHandler: limits.sendLink.preHandler
    }, async (request) => await handle.sendLink(request, request.body))
  }

  const reset = resetPasswordFields(settings.passwordConfirm)
  for (const url of ['/reset-password/', '/reset-password']) {
    app.post<{ Body: DrrResetPasswordBody }>(url, {
      bodyLimit: BODY_LIMIT,
      schema: url.endsWith('/') ? { body: drrBodySchema(reset) } : hidden({ body: drrBodySchema(reset) }),
      validatorCompiler: () => drrValidator(reset),
      onRequest: limits.resetPassword.onRequest,
      preHandler: limits.resetPassword.preHandler
    }, async (request) => await handle.resetPassword(request, request.body))
  }
}
