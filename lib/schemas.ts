import { Type, type Static } from '@sinclair/typebox'

// Request bodies are closed (additionalProperties: false) and validated without coercion:
// an array, number, null or object where a string belongs is a 400, never converted.

export const SendLinkBody = Type.Object({
  login: Type.String({ minLength: 1, maxLength: 254, description: 'A username or e-mail address', examples: ['alice@example.com'] })
}, { additionalProperties: false })
export type SendLinkBody = Static<typeof SendLinkBody>

const UserId = Type.Union([
  Type.String({ minLength: 1, maxLength: 64 }),
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
], { description: 'The user_id query parameter of the link' })

const Timestamp = Type.Union([
  Type.String({ pattern: '^[0-9]{1,12}$' }),
  Type.Integer({ minimum: 0, maximum: 999_999_999_999 })
], { description: 'The timestamp query parameter of the link (UNIX seconds)' })

// A generous cap for the schema; the password policy's own maximum (default 256 code points) is
// checked before any hashing and answers with a reason code instead.
const MAX_PASSWORD_UNITS = 4096

export function resetPasswordBody (passwordConfirm: boolean) {
  const password = Type.String({ maxLength: MAX_PASSWORD_UNITS, description: 'The new password, taken exactly as sent' })
  return Type.Object({
    user_id: UserId,
    timestamp: Timestamp,
    signature: Type.String({ minLength: 1, maxLength: 128, description: 'The signature query parameter of the link' }),
    password,
    password_confirm: passwordConfirm ? password : Type.Optional(password)
  }, { additionalProperties: false })
}
export type ResetPasswordBody = Static<ReturnType<typeof resetPasswordBody>>

export const Detail = Type.Object({ detail: Type.String() })
export type Detail = Static<typeof Detail>

export const PasswordReason = Type.Object({
  code: Type.String({ examples: ['password_too_short'] }),
  message: Type.String({ examples: ['This password is too short. It must contain at least 8 characters.'] })
})

/** Fastify's error shape, plus `reasons` for FST_RESET_PASSWORD_INVALID_PASSWORD. */
export const ErrorReply = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
  reasons: Type.Optional(Type.Array(PasswordReason))
})
export type ErrorReply = Static<typeof ErrorReply>
