import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { InvalidOptionError } from '../errors.js'
import { pickleTwoPairs } from './pickle.js'
import type { LinkSigner, SignedUser, SignerFactory } from './signer.js'

/** Options of {@link djangoSigner}. */
export interface DjangoSignerOptions {
  /** The Django project's `SECRET_KEY`. It signs every new link. */
  readonly secretKey: string
  /**
   * Older keys, like Django's `SECRET_KEY_FALLBACKS`: links signed with them still verify, but no link
   * is signed with them. django-rest-registration itself ignores `SECRET_KEY_FALLBACKS`.
   */
  readonly fallbackKeys?: readonly string[]
}

// ResetPasswordSigner.SALT_BASE (rest_registration/signers/reset_password.py).
const SALT_BASE = 'reset-password'
// 32 bytes of HMAC-SHA256 in URL-safe base64 without padding. Checked as a string, as Django compares
// strings: decoding first would also accept variants of the last character that decode to the same bytes.
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/

/**
 * Reset links interchangeable with django-rest-registration 0.9's `ResetPasswordSigner` on Django 3.1
 * or later: a link sent by either app works in the other while users move between them. With one-time
 * use the user's stored password hash is part of the salt, as in drr, so a link stops working once the
 * password changes, by that link or otherwise.
 * The e-mail is not signed: drr does not sign it.
 *
 * @example
 * ```ts
 * const signer = djangoSigner({ secretKey: settings.secretKey, fallbackKeys: [settings.oldKey] })({ oneTimeUse: true })
 * const signature = signer.sign(user, Math.floor(Date.now() / 1000))
 * signer.verify(user, timestamp, signature) // true
 * ```
 */
export function djangoSigner (options: DjangoSignerOptions): SignerFactory {
  const { secretKey, fallbackKeys } = checkedOptions(options)
  return ({ oneTimeUse }) => {
    const keyFor = (secret: string): ((user: SignedUser) => Buffer) => {
      // With one-time use the salt holds the user's password hash, so that key is derived per call.
      if (oneTimeUse) return (user) => signerKey(`${SALT_BASE}:${user.passwordHash}`, secret)
      const key = signerKey(SALT_BASE, secret)
      return () => key
    }
    const current = keyFor(secretKey)
    const all = [current, ...fallbackKeys.map(keyFor)]
    return {
      sign (user, timestamp) {
        if (!Number.isSafeInteger(timestamp)) throw new TypeError(`timestamp must be a safe integer, got ${timestamp}`)
        return signature(current(user), message(user, timestamp))
      },
      verify (user, timestamp, candidate) {
        if (!SIGNATURE.test(candidate) || !Number.isSafeInteger(timestamp)) return false
        const given = Buffer.from(candidate, 'latin1')
        const signed = message(user, timestamp)
        let valid = false
        // Every key is tried, so the time taken does not tell which one matched.
        for (const key of all) {
          valid = timingSafeEqual(given, Buffer.from(signature(key(user), signed), 'latin1')) || valid
        }
        return valid
      }
    } satisfies LinkSigner
  }
}

function checkedOptions (options: DjangoSignerOptions): Required<DjangoSignerOptions> {
  const { secretKey, fallbackKeys = [] } = options ?? {}
  if (typeof secretKey !== 'string' || secretKey === '') {
    throw new InvalidOptionError('secretKey', 'must be a non-empty string (the Django SECRET_KEY)')
  }
  if (!Array.isArray(fallbackKeys) || !fallbackKeys.every((key) => typeof key === 'string' && key !== '')) {
    throw new InvalidOptionError('fallbackKeys', 'must be an array of non-empty strings')
  }
  return { secretKey, fallbackKeys }
}

// Django's Signer(salt=...).signature calls salted_hmac(salt + 'signer', value, key), which derives its
// HMAC key as sha256(key_salt + secret) (django/utils/crypto.py); SHA-256 is Signer's default since 3.1.
function signerKey (salt: string, secret: string): Buffer {
  return createHash('sha256').update(`${salt}signer`).update(secret).digest()
}

// b64_encode in django/core/signing.py: urlsafe_b64encode(...).strip(b'=').
function signature (key: Buffer, signed: Buffer): string {
  return createHmac('sha256', key).update(signed).digest('base64url')
}

// DataSigner signs its data without the signature field: user_id and, as USE_TIMESTAMP is set, the
// timestamp, as (str(key), str(value)) tuples sorted by key. 'timestamp' < 'user_id'.
function message (user: SignedUser, timestamp: number): Buffer {
  return pickleTwoPairs([['timestamp', String(timestamp)], ['user_id', user.id]])
}
