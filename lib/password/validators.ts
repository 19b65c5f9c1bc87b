import type { ResetPasswordUser } from '../users/adapter.js'

// Django's default password validators (django/contrib/auth/password_validation.py), ported rule
// for rule. Codes and English messages are Django's word for word, so a frontend written against
// Django (or django-rest-registration) shows the same text, and Django's translations apply.

/**
 * Why a password was refused: a stable `code` for programs and an English `message` for people.
 * Built-in codes: `password_too_short`, `password_too_long`, `password_too_common`,
 * `password_entirely_numeric`, `password_too_similar`; app validators add their own.
 */
export interface PasswordReason {
  readonly code: string
  readonly message: string
}

/** The part of a user the password rules look at. */
export type PasswordUser = Pick<ResetPasswordUser, 'id' | 'username' | 'email'>

// Django picks the form with ngettext; in English only 1 is singular.
function characters (count: number): string {
  return `${count} ${count === 1 ? 'character' : 'characters'}`
}

/** Django's MinimumLengthValidator. Python's len() counts code points, so `length` does too. */
export function tooShort (length: number, minLength: number): PasswordReason | null {
  return length < minLength
    ? { code: 'password_too_short', message: `This password is too short. It must contain at least ${characters(minLength)}.` }
    : null
}

/**
 * Django has no maximum; this one is in its words. Cheap enough to run before hashing, even on a
 * megabyte: a code point is one or two UTF-16 units, so only lengths between max and 2 * max need counting.
 */
export function tooLong (password: string, maxLength: number): PasswordReason | null {
  const exceeds = password.length > maxLength &&
    (password.length > 2 * maxLength || codePointLength(password) > maxLength)
  return exceeds
    ? { code: 'password_too_long', message: `This password is too long. It must contain at most ${characters(maxLength)}.` }
    : null
}

export function codePointLength (text: string): number {
  let length = 0
  for (const _ of text) length++
  return length
}

// Python's str.strip() removes what str.isspace() calls whitespace, which is not what JS trim()
// removes (U+001C-U+001F and U+0085 in, U+FEFF out). A loop, not /\s+$/, which backtracks
// quadratically on a long run of spaces.
const PY_SPACE: ReadonlySet<string> = new Set(
  '\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000'
)

/** What Django compares against its list: `password.lower().strip()`. */
export function commonForm (password: string): string {
  const lower = password.toLowerCase()
  let start = 0
  let end = lower.length
  while (start < end && PY_SPACE.has(lower.charAt(start))) start++
  while (end > start && PY_SPACE.has(lower.charAt(end - 1))) end--
  return lower.slice(start, end)
}

let defaultCommonPasswords: Promise<ReadonlySet<string>> | undefined

/**
 * The 49k passwords of @zxcvbn-ts/language-common (Django ships a 20k list of the same kind),
 * loaded on first use so that importing this module stays cheap.
 */
export function loadDefaultCommonPasswords (): Promise<ReadonlySet<string>> {
  defaultCommonPasswords ??= import('@zxcvbn-ts/language-common')
    .then(({ dictionary }) => new Set(dictionary['passwords-common'].map(commonForm)))
  return defaultCommonPasswords
}

/** Django's CommonPasswordValidator, against `words` already in {@link commonForm}. */
export function tooCommon (password: string, words: ReadonlySet<string>): PasswordReason | null {
  return words.has(commonForm(password))
    ? { code: 'password_too_common', message: 'This password is too common.' }
    : null
}

// Django's NumericPasswordValidator uses Python's str.isdigit(), true for decimal digits of every
// script (\p{Nd}) and also for superscripts and circled digits (Numeric_Type=Digit), which no
// JavaScript regex names. \p{Nd} keeps '١٢٣٤٥٦٧٨' numeric and lets '¹²³⁴⁵⁶⁷⁸' through.
const NUMERIC = /^\p{Nd}+$/u

export function entirelyNumeric (password: string): PasswordReason | null {
  return NUMERIC.test(password)
    ? { code: 'password_entirely_numeric', message: 'This password is entirely numeric.' }
    : null
}

// Python's \W in a str pattern: anything but str.isalnum() characters and '_', i.e. letters
// and numbers of any script. JavaScript's \W is ASCII-only, even with the u flag.
const NON_WORD = /[^\p{L}\p{N}_]+/u

// Django's order (username before email) and its verbose names for the default User model.
const ATTRIBUTES = [['username', 'username'], ['email', 'email address']] as const

/**
 * Django's UserAttributeSimilarityValidator. Like Django it reports the first attribute that is
 * too similar, not each of them.
 */
export function tooSimilar (password: string, user: PasswordUser, maxSimilarity: number): PasswordReason | null {
  const pw = [...password.toLowerCase()]
  for (const [attribute, verboseName] of ATTRIBUTES) {
    const value = user[attribute]
    if (value === null || value === '') continue
    const lower = value.toLowerCase()
    for (const part of [...lower.split(NON_WORD), lower]) {
      const chars = [...part]
      if (exceedsMaximumLengthRatio(pw.length, maxSimilarity, chars.length)) continue
      if (quickRatio(pw, chars) >= maxSimilarity) {
        return { code: 'password_too_similar', message: `The password is too similar to the ${verboseName}.` }
      }
    }
  }
  return null
}

// Django's shortcut: quick_ratio() can reach at most 2 / (length ratio), so a value part ten
// times shorter than the password, and short enough, cannot be similar; skip the count.
function exceedsMaximumLengthRatio (passwordLength: number, maxSimilarity: number, valueLength: number): boolean {
  return passwordLength >= 10 * valueLength && valueLength < maxSimilarity / 2 * passwordLength
}

// difflib.SequenceMatcher(a=a, b=b).quick_ratio(): the size of the multiset intersection of the
// two sequences, times 2, over their total length (1.0 when both are empty).
function quickRatio (a: readonly string[], b: readonly string[]): number {
  const available = new Map<string, number>()
  for (const char of b) available.set(char, (available.get(char) ?? 0) + 1)
  let matches = 0
  for (const char of a) {
    const count = available.get(char) ?? 0
    if (count > 0) {
      matches++
      available.set(char, count - 1)
    }
  }
  const length = a.length + b.length
  return length === 0 ? 1 : 2 * matches / length
}
