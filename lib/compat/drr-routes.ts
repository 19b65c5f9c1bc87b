import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import formbody from '@fastify/formbody'
import type { RoutesOptions } from '../routes.js'
import { BODY_LIMIT, RESET, SECURITY_HEADERS } from '../routes.js'
import { rateLimits } from '../rate-limit.js'
import { useStrictJson } from '../json.js'
import { UserNotFoundError } from '../errors.js'
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
  const limits = await rateLimits(app, settings.rateLimit)
  const locale = (request: FastifyRequest): string | undefined => settings.mail?.locale?.(request)

  // DRF's default parsers: JSON and form-encoded. Multipart is not taken (see the README, "Taking over from django-rest-registration").
  // DRF reads an empty body as no data, so each field is then reported missing.
  useStrictJson(app, BODY_LIMIT, () => ({}))
  // Of repeated keys the last counts, as QueryDict.get in Django.
  await app.register(formbody, { bodyLimit: BODY_LIMIT, parser: (text) => Object.fromEntries(new URLSearchParams(text)) })
  app.setErrorHandler(drrErrorHandler)
  app.addHook('onSend', async (_request, reply) => { reply.headers(SECURITY_HEADERS) })

  const sendLink = sendLinkFields(settings.useEmail)
  const sent = settings.failWhenUserNotFound ? SENT : SENT_IF_FOUND
  for (const url of ['/send-reset-password-link/', '/send-reset-password-link']) {
    app.post<{ Body: DrrSendLinkBody }>(url, {
      bodyLimit: BODY_LIMIT,
      schema: url.endsWith('/') ? { body: drrBodySchema(sendLink) } : hidden({ body: drrBodySchema(sendLink) }),
      validatorCompiler: () => drrValidator(sendLink),
      onRequest: limits.sendLink.onRequest,
      preHandler: limits.sendLink.preHandler
    }, async (request) => {
      const found = await workflow.requestLinks(request.body.login, locale(request))
      if (!found && settings.failWhenUserNotFound) throw new UserNotFoundError()
      return sent
    })
  }

  const reset = resetPasswordFields(settings.passwordConfirm)
  for (const url of ['/reset-password/', '/reset-password']) {
    app.post<{ Body: DrrResetPasswordBody }>(url, {
      bodyLimit: BODY_LIMIT,
      schema: url.endsWith('/') ? { body: drrBodySchema(reset) } : hidden({ body: drrBodySchema(reset) }),
      validatorCompiler: () => drrValidator(reset),
      onRequest: limits.resetPassword.onRequest,
      preHandler: limits.resetPassword.preHandler
    }, async (request) => {
      const { user_id: userId, timestamp, signature, password, password_confirm: confirm } = request.body
      const user = await workflow.verify(String(userId), Number(timestamp), signature)
      await workflow.reset(user, password, confirm, locale(request))
      return RESET
    })
  }
}
