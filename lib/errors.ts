// A named import: in CommonJS declarations the default import is the bare function, without its types.
import { createError } from '@fastify/error'

// The error catalog: every error the plugin throws, with its stable code and HTTP status.
// Codes are public API (documented in docs/http-api.md); never rename one.

// @fastify/error types the arguments of an error it is not told about as `any`; these take none.
function plainError<C extends string, S extends number> (code: C, message: string, statusCode: S) {
  return createError<C, S, []>(code, message, statusCode)
}

// --- Options, thrown by register() ---
export const InvalidOptionError = createError<[string, string]>(
  'FST_RESET_PASSWORD_INVALID_OPTION',
  'fastify-reset-password: option "%s" %s',
  500,
  TypeError
)

// --- send-reset-password-link ---
export const UserNotFoundError = plainError('FST_RESET_PASSWORD_USER_NOT_FOUND', 'User not found', 400)

// --- reset-password ---
export const InvalidSignatureError = plainError('FST_RESET_PASSWORD_INVALID_SIGNATURE', 'Invalid signature', 400)
export const SignatureExpiredError = plainError('FST_RESET_PASSWORD_SIGNATURE_EXPIRED', 'Signature expired', 400)
export const PasswordMismatchError = plainError('FST_RESET_PASSWORD_PASSWORD_MISMATCH', "Passwords don't match", 400)
export const InvalidPasswordError = plainError('FST_RESET_PASSWORD_INVALID_PASSWORD', 'The password does not meet the password policy', 400)

// --- reset-password-with-code ---
// One error for a wrong, expired, used, locked-out or unknown-login code: which one it was is the oracle an attacker wants.
export const InvalidCodeError = plainError('FST_RESET_PASSWORD_INVALID_CODE', 'Invalid or expired code', 400)

// --- Both routes ---
// Valid JSON, but an object names a key twice: which value counts would depend on the parser.
export const DuplicateKeyError = plainError('FST_RESET_PASSWORD_DUPLICATE_KEY', 'The JSON body names a key more than once', 400)
// The user store did not answer. Identical for every login, so an outage does not enumerate accounts.
export const ServiceUnavailableError = plainError('FST_RESET_PASSWORD_UNAVAILABLE', 'Service temporarily unavailable, try again later', 503)
// Logged, never sent: a store call that outlived `storeTimeout` (the client then answers the 503 above).
export const StoreTimeoutError = createError<[string, number]>('FST_RESET_PASSWORD_STORE_TIMEOUT', '%s did not answer within %s ms', 503)

// --- Rate limits (@fastify/rate-limit) ---
export const RateLimitedError = createError<[string]>('FST_RESET_PASSWORD_RATE_LIMITED', 'Too many requests, retry in %s', 429)
