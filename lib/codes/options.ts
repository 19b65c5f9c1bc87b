import type { KeyObject } from 'node:crypto'
import { InvalidOptionError } from '../errors.js'
import { deriveKey } from '../signer/hmac.js'

/** The `codes` option: reset by a short code typed into the app, beside the link. */
export interface CodeOptions {
  /** Digits of a code, 6 to 10. Default 8. */
  readonly digits?: number
  /** Length of a period in seconds; a code works until the end of the period after the one it was sent in. Default 900. */
  readonly period?: number
  /** Wrong codes for one account within a period after which every code for it is refused until the next period. Default 5. */
  readonly maxAttempts?: number
}

/** `codes` after checks and defaults. */
export interface CodeSettings {
  readonly digits: number
  readonly period: number
  readonly maxAttempts: number
  /**
   * Guesses at live codes, across all accounts, that one period allows: 10^digits / 20,000, so the chance
   * that any guess in a period succeeds stays at or below 5e-5 however many accounts and IPs an attacker uses.
   */
  readonly guessBudget: number
  /** The HMAC key of codes, derived from the first `secret`. */
  readonly key: KeyObject
}

// Domain separation: the key of codes is not the key of links, though both come from one secret.
const PURPOSE = 'fastify-reset-password/reset-code/v1'
const DEFAULTS = { digits: 8, period: 900, maxAttempts: 5 }
// 1 / 20,000 = 5e-5: the chance of a successful guess per period (see docs/reset-codes.md).
const GUESSES_PER_CODE_SPACE = 20_000

function fail (name: string, must: string): never {
  throw new InvalidOptionError(name, must)
}

function integer (name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(name, max === Number.MAX_SAFE_INTEGER ? 'must be a positive integer' : `must be an integer from ${min} to ${max}`)
  }
  return value
}

/**
 * Checks `codes`. Codes need the plugin's own `secret` (a custom `signer` has no key to derive from)
 * and are not part of django-rest-registration's wire format, so `compat` rules them out.
 */
export function resolveCodes (value: unknown, compat: string | undefined, secret: string | undefined): CodeSettings | undefined {
  if (value === undefined || value === false) return undefined
  if (value !== true && (typeof value !== 'object' || value === null)) fail('codes', 'must be true or an object { digits?, period?, maxAttempts? }')
  if (compat !== undefined) fail('codes', 'does not apply with compat: \'django-rest-registration\' (its wire format has no codes)')
  if (secret === undefined) fail('codes', 'needs the `secret` option: codes are derived from its first key')
  const options = value === true ? {} : value as CodeOptions
  const digits = integer('codes.digits', options.digits, 6, 10, DEFAULTS.digits)
  return {
    digits,
    period: integer('codes.period', options.period, 1, Number.MAX_SAFE_INTEGER, DEFAULTS.period),
    maxAttempts: integer('codes.maxAttempts', options.maxAttempts, 1, Number.MAX_SAFE_INTEGER, DEFAULTS.maxAttempts),
    guessBudget: 10 ** digits / GUESSES_PER_CODE_SPACE,
    key: deriveKey(secret, PURPOSE)
  }
}
