import { scrypt, timingSafeEqual } from 'node:crypto'
import type { BinaryLike, ScryptOptions } from 'node:crypto'
import { promisify } from 'node:util'
import { saltSource } from './salts.js'

/**
 * scrypt cost parameters, named as passlib writes them in the hash: `ln` is log2 of N.
 * Each one left out takes the OWASP default.
 */
export interface ScryptParams {
  readonly ln?: number
  readonly r?: number
  readonly p?: number
}

type Params = Required<ScryptParams>

// OWASP Password Storage Cheat Sheet, scrypt: "a minimum CPU/memory cost parameter of (2^17),
// a minimum block size of 8 (1024 bytes), and a parallelization parameter of 1".
const DEFAULTS: Params = { ln: 17, r: 8, p: 1 }
const SALT_BYTES = 16
const KEY_BYTES = 32
const nextSalt = saltSource(SALT_BYTES)

/**
 * As long as a hash of {@link hashPassword} at its defaults, and in its format, but no password verifies
 * against it: its salt and key are `-`, which is not base64. For a stand-in whose hash is signed, not checked.
 */
export const UNUSABLE_HASH = `$scrypt$ln=${DEFAULTS.ln},r=${DEFAULTS.r},p=${DEFAULTS.p}$${'-'.repeat(base64(Buffer.alloc(SALT_BYTES)).length)}$${'-'.repeat(base64(Buffer.alloc(KEY_BYTES)).length)}`

// A stored hash is data: these bounds turn a corrupt one (ln=64, r=0) into a plain false before
// scrypt sees it. At their top they still allow 4 GiB and minutes of work; the hashes are the app's own.
const BOUNDS: { readonly [K in keyof Params]: readonly [number, number] } = {
  ln: [1, 20],
  r: [1, 32],
  p: [1, 16]
}
// passlib writes 16-byte salts; accept what other writers plausibly chose, refuse what is surely not a salt.
const SALT_RANGE = [8, 64] as const

// Passlib's scrypt format (the PHC string format): $scrypt$ln=<ln>,r=<r>,p=<p>$<salt>$<key>,
// salt and key in standard base64 without padding.
const PHC = /^\$scrypt\$ln=([1-9]\d?),r=([1-9]\d?),p=([1-9]\d?)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/

const scryptAsync = promisify<BinaryLike, BinaryLike, number, ScryptOptions, Buffer>(scrypt)

/**
 * Hashes a password with scrypt and a fresh 16-byte salt, as a passlib-compatible string.
 * The password is hashed exactly as given (its UTF-8 bytes): no trimming, no normalization
 * (a lone surrogate, which is not Unicode text, is encoded as U+FFFD like any UTF-8 encoder does).
 * The default cost takes about a third of a second and 128 MiB; that is the point.
 *
 * @example
 * ```ts
 * const hash = await hashPassword('correct horse battery staple')
 * // '$scrypt$ln=17,r=8,p=1$<salt>$<key>'
 * ```
 */
export async function hashPassword (password: string, params: ScryptParams = {}): Promise<string> {
  const full: Params = { ln: params.ln ?? DEFAULTS.ln, r: params.r ?? DEFAULTS.r, p: params.p ?? DEFAULTS.p }
  for (const name of ['ln', 'r', 'p'] as const) {
    if (!inBounds(name, full[name])) {
      const [min, max] = BOUNDS[name]
      throw new RangeError(`hashPassword: params.${name} must be an integer from ${min} to ${max}`)
    }
  }
  const salt = nextSalt()
  const key = await derive(password, salt, full)
  return `$scrypt$ln=${full.ln},r=${full.r},p=${full.p}$${base64(salt)}$${base64(key)}`
}

/**
 * Whether `password` matches `hash`, a string written by {@link hashPassword} or by passlib's scrypt.
 * Resolves to false, and never throws, for anything else: a bcrypt hash, an empty string,
 * a wrong field count, parameters out of bounds, a key that is not 32 bytes.
 *
 * @example
 * ```ts
 * if (await verifyPassword(typed, user.passwordHash)) { ... }
 * ```
 */
export async function verifyPassword (password: string, hash: string): Promise<boolean> {
  const parsed = parse(hash)
  if (parsed === null) return false
  const key = await derive(password, parsed.salt, parsed.params)
  return timingSafeEqual(key, parsed.key)
}

function parse (hash: string): { params: Params, salt: Buffer, key: Buffer } | null {
  const match = PHC.exec(hash)
  if (match === null) return null
  // Every group in PHC is mandatory, so all five are strings.
  const [, ln, r, p, salt64, key64] = match as RegExpExecArray & readonly [string, string, string, string, string, string]
  const params: Params = { ln: Number(ln), r: Number(r), p: Number(p) }
  if (!inBounds('ln', params.ln) || !inBounds('r', params.r) || !inBounds('p', params.p)) return null
  const salt = decode(salt64)
  const key = decode(key64)
  if (salt === null || salt.length < SALT_RANGE[0] || salt.length > SALT_RANGE[1]) return null
  if (key === null || key.length !== KEY_BYTES) return null
  return { params, salt, key }
}

function inBounds (name: keyof Params, value: number): boolean {
  const [min, max] = BOUNDS[name]
  return Number.isInteger(value) && value >= min && value <= max
}

function derive (password: string, salt: Buffer, { ln, r, p }: Params): Promise<Buffer> {
  const N = 2 ** ln
  // OpenSSL (EVP_PBE_scrypt) refuses to run when 128 * r * (N + p + 2) bytes exceed maxmem,
  // and Node's default maxmem (32 MiB) is a quarter of what the OWASP parameters need.
  return scryptAsync(Buffer.from(password, 'utf8'), salt, KEY_BYTES, { N, r, p, maxmem: 128 * r * (N + p + 2) })
}

function base64 (bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '')
}

// Buffer.from(..., 'base64') skips what it cannot read; only a string that re-encodes to itself is the bytes it claims.
function decode (text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64')
  return base64(bytes) === text ? bytes : null
}
