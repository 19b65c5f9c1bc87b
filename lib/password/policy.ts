import { InvalidOptionError } from '../errors.js'
import {
  codePointLength,
  commonForm,
  entirelyNumeric,
  loadDefaultCommonPasswords,
  tooCommon,
  tooLong,
  tooShort,
  tooSimilar
} from './validators.js'
import type { PasswordReason, PasswordUser } from './validators.js'

export type { PasswordReason, PasswordUser } from './validators.js'

/**
 * An app's own rule. Returns every reason it refuses the password for, or an empty array.
 * It may be async (e.g. a breached-password lookup); a rejection fails the whole check.
 */
export type PasswordValidator = (
  password: string,
  user: PasswordUser
) => readonly PasswordReason[] | Promise<readonly PasswordReason[]>

/** Django's four default validators plus a maximum length; each can be tuned or turned off. */
export interface PasswordPolicyOptions {
  /** Fewest code points. Default 8 (Django's MinimumLengthValidator). */
  readonly minLength?: number
  /** Most code points, checked before hashing. Default 256. */
  readonly maxLength?: number
  /**
   * Refuse common passwords: `true` (default) for the @zxcvbn-ts/language-common list,
   * the app's own words, or `false`. Words and passwords are compared lowercased and stripped.
   */
  readonly common?: boolean | Iterable<string>
  /** Refuse passwords made only of digits. Default true. */
  readonly numeric?: boolean
  /** Refuse passwords too close to the username or e-mail (quick_ratio >= maxSimilarity, default 0.7), or `false`. */
  readonly similarity?: false | { readonly maxSimilarity?: number }
  /** App rules, run after the built-in ones; their reasons follow in this order. */
  readonly validators?: readonly PasswordValidator[]
}

export interface PasswordPolicy {
  /**
   * Every reason the password is refused for; empty when it passes. A password over
   * `maxLength` gets only `password_too_long`: no other rule, app rules least of all, sees unbounded input.
   */
  check (password: string, user: PasswordUser): Promise<PasswordReason[]>
  /** The cheap, synchronous length check, to refuse a huge password before anything hashes it. */
  tooLong (password: string): PasswordReason | null
}

/**
 * Builds a password policy, checking its options now so that mistakes fail at `register()`.
 *
 * @example
 * ```ts
 * const policy = createPasswordPolicy({
 *   minLength: 10,
 *   validators: [(password) => password.includes('acme') ? [{ code: 'acme', message: 'No company names.' }] : []]
 * })
 * const reasons = await policy.check('password', { id: '1', username: 'ada', email: null })
 * // [{ code: 'password_too_short', ... }, { code: 'password_too_common', ... }]
 * ```
 */
export function createPasswordPolicy (options: PasswordPolicyOptions = {}): PasswordPolicy {
  const minLength = options.minLength ?? 8
  if (!Number.isInteger(minLength) || minLength < 1) invalid('minLength', 'must be a positive integer')
  const maxLength = options.maxLength ?? 256
  if (!Number.isInteger(maxLength) || maxLength < minLength) {
    invalid('maxLength', `must be an integer no smaller than password.minLength (${minLength})`)
  }
  const common = commonWords(options.common ?? true)
  const numeric = options.numeric ?? true
  if (typeof numeric !== 'boolean') invalid('numeric', 'must be a boolean')
  const maxSimilarity = similarityThreshold(options.similarity ?? {})
  const validators = options.validators ?? []
  if (!Array.isArray(validators) || !validators.every(v => typeof v === 'function')) {
    invalid('validators', 'must be an array of functions')
  }

  return {
    async check (password, user) {
      const long = tooLong(password, maxLength)
      if (long !== null) return [long]
      // Django's default order: similarity, length, common, numeric.
      const reasons = [
        maxSimilarity === null ? null : tooSimilar(password, user, maxSimilarity),
        tooShort(codePointLength(password), minLength),
        common === null ? null : tooCommon(password, await common()),
        numeric ? entirelyNumeric(password) : null
      ].filter(reason => reason !== null)
      const own = await Promise.all(validators.map(validate => validate(password, user)))
      return [...reasons, ...own.flat()]
    },
    tooLong (password) {
      return tooLong(password, maxLength)
    }
  }
}

function commonWords (option: boolean | Iterable<string>): (() => Promise<ReadonlySet<string>>) | null {
  if (option === true) return loadDefaultCommonPasswords
  if (option === false) return null
  // A string is iterable too, but its characters are not a word list.
  if (typeof option !== 'object' || typeof option[Symbol.iterator] !== 'function') {
    invalid('common', 'must be a boolean or an iterable of strings')
  }
  // Read the app's words now: the iterable may be single-use, and a bad word should fail at register().
  const words = new Set<string>()
  for (const word of option) {
    if (typeof word !== 'string') invalid('common', 'must be a boolean or an iterable of strings')
    words.add(commonForm(word))
  }
  const ready = Promise.resolve(words)
  return () => ready
}

function similarityThreshold (option: false | { readonly maxSimilarity?: number }): number | null {
  if (option === false) return null
  if (typeof option !== 'object') invalid('similarity', 'must be false or an object')
  const max = option.maxSimilarity ?? 0.7
  // Django refuses max_similarity below 0.1; above 1 nothing could ever be too similar.
  if (typeof max !== 'number' || !(max >= 0.1 && max <= 1)) {
    invalid('similarity.maxSimilarity', 'must be a number from 0.1 to 1')
  }
  return max
}

function invalid (name: string, requirement: string): never {
  throw new InvalidOptionError(`password.${name}`, requirement)
}
