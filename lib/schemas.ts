import { STATUS_CODES } from 'node:http'
import { Type, type Static } from '@sinclair/typebox'
import { errorCodes, type FastifyError } from 'fastify'
import {
  DuplicateKeyError,
  InvalidPasswordError,
  InvalidSignatureError,
  PasswordMismatchError,
  RateLimitedError,
  ServiceUnavailableError,
  SignatureExpiredError,
  UserNotFoundError
} from './errors.js'

// Request bodies are closed (additionalProperties: false) and validated without coercion:
// an array, number, null or object where a string belongs is a 400, never converted.

// maxLength counts UTF-16 code units, as JavaScript's string length does (JSON Schema counts code
// points): an emoji or another character beyond U+FFFF counts as two. 254 units still fit the
// varchar(254) column of an e-mail address, whatever the characters.
export const SendLinkBody = Type.Object({
  login: Type.String({
    minLength: 1,
    maxLength: 254,
    description: 'A username or e-mail address: at most 254 UTF-16 code units (a character beyond U+FFFF, such as an emoji, counts as two)',
    examples: ['alice@example.com']
  })
}, { additionalProperties: false, examples: [{ login: 'alice@example.com' }] })
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
export const MAX_PASSWORD_UNITS = 4096

export const EXAMPLE_PASSWORD = 'correct horse battery staple'
const EXAMPLE_LINK = { user_id: '42', timestamp: '1767225600', signature: 'sTCK0Q58riwjVa006GHdg5ioyi9R0BJoEkkIxMQMSnA' }

const Signature = Type.String({ minLength: 1, maxLength: 128, description: 'The signature query parameter of the link' })

export const VerifyLinkBody = Type.Object({ user_id: UserId, timestamp: Timestamp, signature: Signature }, {
  additionalProperties: false,
  description: 'The three query parameters of the link, as the frontend page received them',
  examples: [EXAMPLE_LINK]
})
export type VerifyLinkBody = Static<typeof VerifyLinkBody>

export function resetPasswordBody (passwordConfirm: boolean) {
  const password = Type.String({ maxLength: MAX_PASSWORD_UNITS, description: 'The new password, taken exactly as sent' })
  return Type.Object({
    user_id: UserId,
    timestamp: Timestamp,
    signature: Signature,
    password,
    password_confirm: passwordConfirm ? password : Type.Optional(password)
  }, {
    additionalProperties: false,
    description: 'The three query parameters of the link, as the frontend page received them, and the new password',
    examples: [{ ...EXAMPLE_LINK, password: EXAMPLE_PASSWORD, ...(passwordConfirm ? { password_confirm: EXAMPLE_PASSWORD } : {}) }]
  })
}
export type ResetPasswordBody = Static<ReturnType<typeof resetPasswordBody>>

export const Detail = Type.Object({ detail: Type.String() })
export type Detail = Static<typeof Detail>

export const LinkValid = Type.Object({
  detail: Type.String(),
  expires_at: Type.String({ format: 'date-time', description: 'The last moment the link works (ISO 8601, UTC), whole seconds' })
})
export type LinkValid = Static<typeof LinkValid>

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

// ---------------------------------------------------------------------------------------------
// Route schemas: what @fastify/swagger documents and fast-json-stringify serialises with.

/** An error a route answers with, and when. */
interface Outcome {
  readonly error: FastifyError
  readonly when: string
  readonly reasons?: ReadonlyArray<Static<typeof PasswordReason>>
}

/** The reply the error handler writes for `error`, as an example. */
function sample ({ error, reasons }: Outcome): ErrorReply {
  const statusCode = error.statusCode as number
  const reply = { statusCode, code: error.code, error: STATUS_CODES[statusCode] as string, message: error.message }
  return reasons === undefined ? reply : { ...reply, reasons: [...reasons] }
}

/** ErrorReply for one status, its description listing every code it can carry. */
export function errorResponse (summary: string, outcomes: readonly Outcome[]) {
  return Type.Object(ErrorReply.properties, {
    description: [`${summary} \`code\` is one of:`, ...outcomes.map(({ error, when }) => `- \`${error.code}\`: ${when}`)].join('\n'),
    examples: outcomes.map(sample)
  })
}

export function malformed (validation: string): Outcome[] {
  return [
    { error: new errorCodes.FST_ERR_VALIDATION(validation), when: 'the body does not match the schema (nothing is coerced: a number where a string belongs is refused)' },
    { error: new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY(), when: 'the body is empty' },
    { error: new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), when: 'the body is not valid JSON' },
    { error: new DuplicateKeyError(), when: 'the JSON names a key twice (parsers disagree on which value counts)' },
    { error: new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), when: 'the body is not as long as its Content-Length says' }
  ]
}

export const tooLarge = errorResponse('The body is too large.', [
  { error: new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), when: 'the body is over the routes\' limit (32 KiB)' }
])
export const unsupported = errorResponse('Only JSON is accepted, so that a cross-site form cannot post here.', [
  { error: new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), when: 'the Content-Type is not application/json' }
])
export const rateLimited = errorResponse('Too many requests.', [
  { error: new RateLimitedError('1 minute'), when: 'a rate limit of the route was reached; the `retry-after` header gives the seconds to wait' }
])
export const unavailable = errorResponse('The user store did not answer; the reply is the same for every login.', [
  { error: new ServiceUnavailableError(), when: 'the user adapter threw (database down or timed out)' }
])

/** The answers every route shares: body too large, not JSON, rate-limited, a store down. */
const transportErrors = { 413: tooLarge, 415: unsupported, 429: rateLimited, 503: unavailable }

/** The answers of a route that takes a login and mails `what` (a link or a code) to its accounts. */
export function loginTaken (what: string, example: Detail) {
  return {
    200: Type.Object(Detail.properties, {
      description: `The request was taken: ${what} is on its way if the login belongs to an account.`,
      examples: [example]
    }),
    400: errorResponse('The body was refused, or the login is unknown.', [
      ...malformed('body/login Expected string'),
      { error: new UserNotFoundError(), when: 'no active user with an e-mail address has this login (only when the app set `failWhenUserNotFound`)' }
    ]),
    ...transportErrors
  }
}

export const TAGS = ['password reset']

/** The schema of `POST {prefix}/send-reset-password-link`. */
export const sendLinkSchema = {
  summary: 'Send a password-reset link',
  description: 'Finds the active users whose login (username or e-mail address, as the user adapter matches them) is `login` ' +
    'and queues a mail with a signed reset link to each. The reply does not wait for the mail, and it is the same ' +
    'whether or not an account matched, unless the app set `failWhenUserNotFound`.',
  tags: TAGS,
  body: SendLinkBody,
  response: loginTaken('a link', { detail: 'If the login belongs to an account, a reset link was sent to its e-mail address' })
}

/**
 * The answers of a route that sets a password (with a link or a code): 200, the 400s of `refusals`
 * (how the proof failed) and of the password step, and the transport errors every route shares.
 */
export function passwordSet (refused: string, refusals: readonly Outcome[]) {
  return {
    200: Type.Object(Detail.properties, {
      description: 'The password was changed.',
      examples: [{ detail: 'Reset password successful' }]
    }),
    400: errorResponse(refused, [
      ...refusals,
      { error: new PasswordMismatchError(), when: '`password_confirm` differs from `password`' },
      {
        error: new InvalidPasswordError(),
        when: 'the password policy refused the password; `reasons` lists each rule it breaks, with a code and a message',
        reasons: [{ code: 'password_too_short', message: 'This password is too short. It must contain at least 8 characters.' }]
      }
    ]),
    ...transportErrors
  }
}

/** The schema of `POST {prefix}/reset-password`; `password_confirm` is required when `passwordConfirm` is. */
export function resetPasswordSchema (passwordConfirm: boolean) {
  return {
    summary: 'Set a new password with a reset link',
    description: 'Checks the signature and age of the link, checks the new password against the password policy, ' +
      'and stores its hash. A link works once: it stops working when the password changes.',
    tags: TAGS,
    body: resetPasswordBody(passwordConfirm),
    response: passwordSet('The body, the link or the password was refused.', [
      ...malformed('body/signature Expected string'),
      { error: new InvalidSignatureError(), when: 'the link is not valid: altered, for an unknown or inactive user, or already used' },
      { error: new SignatureExpiredError(), when: 'the link is older than the `period` option allows; ask for a new one' }
    ])
  }
}

/** The schema of `POST {prefix}/verify-reset-password-link`. */
export const verifyLinkSchema = {
  summary: 'Check a reset link without using it',
  description: 'Checks the signature and age of the link as `reset-password` does, and changes nothing: the link keeps working. ' +
    'A frontend calls it when the reset page opens, to say at once that a link is used or expired. It shares reset-password\'s rate limits.',
  tags: TAGS,
  body: VerifyLinkBody,
  response: {
    200: Type.Object(LinkValid.properties, {
      description: 'The link works, until `expires_at`.',
      examples: [{ detail: 'Reset link is valid', expires_at: '2026-01-01T01:00:00.000Z' }]
    }),
    400: errorResponse('The body or the link was refused.', [
      ...malformed('body/signature Expected string'),
      { error: new InvalidSignatureError(), when: 'the link is not valid: altered, for an unknown or inactive user, or already used' },
      { error: new SignatureExpiredError(), when: 'the link is older than the `period` option allows; ask for a new one' }
    ]),
    ...transportErrors
  }
}

/**
 * The same route schema with `hide: true`, which @fastify/swagger reads to leave a route out of the
 * document: for the trailing-slash twin of each route.
 */
export function hidden<S extends object> (schema: S): S {
  return { ...schema, hide: true }
}
