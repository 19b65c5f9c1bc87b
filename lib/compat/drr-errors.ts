import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import type { PasswordReason } from '../password/policy.js'
import { errorHandler } from '../error-handler.js'
import type { FieldErrors } from './drr-schemas.js'

type CompatError = FastifyError & { reasons?: PasswordReason[], fields?: FieldErrors }

/** `{ detail }` (an APIException in DRF) or `{ field: [messages], non_field_errors: [] }` (a ValidationError). */
export type DrrReply = { detail: string } | FieldErrors

/**
 * The plugin's errors as django-rest-registration 0.9 renders them. Status codes, logging and the
 * 5xx wording come from the plugin's own error handler; only the body changes shape.
 */
export function drrErrorHandler (error: CompatError, request: FastifyRequest, reply: FastifyReply): DrrReply {
  const { code, message } = errorHandler(error, request, reply)
  if (error.fields !== undefined) return error.fields
  switch (code) {
    // drr's run_validators (rest_registration/utils/validation.py) adds an empty non_field_errors to field errors.
    case 'FST_RESET_PASSWORD_INVALID_PASSWORD':
      return { password: (error.reasons as PasswordReason[]).map((reason) => reason.message), non_field_errors: [] }
    case 'FST_RESET_PASSWORD_PASSWORD_MISMATCH':
      return { password_confirm: [message], non_field_errors: [] }
    // DRF's UnsupportedMediaType, ParseError and Throttled.
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { detail: `Unsupported media type "${request.headers['content-type'] ?? ''}" in request.` }
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { detail: `JSON parse error - ${message}` }
    case 'FST_RESET_PASSWORD_RATE_LIMITED':
      return { detail: `Request was throttled. Expected available in ${String(reply.getHeader('retry-after'))} seconds.` }
  }
  return { detail: message }
}
