import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { ErrorReply } from './schemas.js'
import type { PasswordReason } from './password/policy.js'

type PluginError = FastifyError & { reasons?: PasswordReason[] }

/**
 * Every error of the plugin's routes in Fastify's shape `{ statusCode, code, error, message }`,
 * whatever error handler the app set elsewhere. A 4xx keeps its message (they are written to be
 * shown and hold no input); anything else is logged and answered without details.
 */
export function errorHandler (error: PluginError, request: FastifyRequest, reply: FastifyReply): ErrorReply {
  const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
  if (status >= 500 && status !== 503) request.log.error({ err: error }, 'fastify-reset-password: unexpected error')
  const body: ErrorReply = {
    statusCode: status,
    code: status === 500 ? 'FST_RESET_PASSWORD_INTERNAL' : error.code,
    error: STATUS_CODES[status] as string,
    message: status === 500 ? 'Internal Server Error' : error.message,
    ...(error.reasons === undefined ? {} : { reasons: error.reasons })
  }
  reply.code(status)
  return body
}
