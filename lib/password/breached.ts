import { createHash } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { PasswordReason } from './validators.js'

/** `password.breached`: refuse passwords found in a Pwned Passwords range API. */
export interface BreachedPasswordOptions {
  /** The range API; the hash prefix is appended to it. Default 'https://api.pwnedpasswords.com/range/'. */
  readonly url?: string
  /** Milliseconds the whole lookup may take. Default 1500. */
  readonly timeout?: number
  /** Accept the password when the lookup fails or times out (logged as a warning). Default true; `false` answers 503. */
  readonly failOpen?: boolean
  /** Refuse a password seen at least this many times in breaches. Default 1. */
  readonly minCount?: number
}

export type BreachedSettings = Required<BreachedPasswordOptions>

export const breachedDefaults: BreachedSettings = {
  url: 'https://api.pwnedpasswords.com/range/',
  timeout: 1500,
  failOpen: true,
  minCount: 1
}

export const BREACHED: PasswordReason = { code: 'password_breached', message: 'This password has appeared in a data breach.' }

// A padded answer holds 800 to 1,000 lines of 40 bytes or so; more than this is not a range answer.
const MAX_ANSWER_BYTES = 1024 * 1024
// SUFFIX:COUNT, the suffix being the other 35 hex digits of the SHA-1 (https://haveibeenpwned.com/API/v3#PwnedPasswords).
const LINE = /^([0-9A-F]{35}):(\d+)$/i

/**
 * Whether the password is breached. When the lookup fails it is logged (without the password or its
 * hash) and the answer is false with `failOpen`, null (refuse to decide) without. Only the first 5 hex
 * digits of the SHA-1 leave the process (k-anonymity), with `Add-Padding: true` so that the size of
 * the answer does not tell the prefix either.
 */
export type BreachedCheck = (password: string) => Promise<boolean | null>

export function createBreachedCheck (settings: BreachedSettings, log: FastifyBaseLogger): BreachedCheck {
  return async (password) => {
    const sha1 = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase()
    try {
      const counts = await fetchRange(settings, sha1.slice(0, 5))
      return (counts.get(sha1.slice(5)) ?? 0) >= settings.minCount
    } catch (err) {
      const message = `fastify-reset-password: the breached-password lookup failed, ${settings.failOpen ? 'so the password was not checked against breaches' : 'so the reset was refused'}`
      log[settings.failOpen ? 'warn' : 'error']({ err }, message)
      return settings.failOpen ? false : null
    }
  }
}

async function fetchRange ({ url, timeout }: BreachedSettings, prefix: string): Promise<Map<string, number>> {
  const response = await fetch(`${url}${prefix}`, {
    headers: { 'add-padding': 'true', 'user-agent': 'fastify-reset-password' },
    // A redirect could lead off the configured origin, or from https to http.
    redirect: 'error',
    // Covers the body too: a server that trickles its answer is cut off as well.
    signal: AbortSignal.timeout(timeout)
  })
  if (!response.ok) {
    await response.body?.cancel()
    throw new Error(`the range API answered ${response.status}`)
  }
  return parseRange(await readCapped(response))
}

async function readCapped (response: Response): Promise<string> {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength
    if (size > MAX_ANSWER_BYTES) throw new Error(`the range API answered more than ${MAX_ANSWER_BYTES} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

// Padding lines have count 0: they are kept, and minCount (at least 1) never matches them.
function parseRange (text: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const line of text.split('\n')) {
    const trimmed = line.trim()
    if (trimmed === '') continue
    const match = LINE.exec(trimmed)
    if (match === null) throw new Error('the range API answered something that is not a range')
    counts.set((match[1] as string).toUpperCase(), Number(match[2]))
  }
  if (counts.size === 0) throw new Error('the range API answered an empty range')
  return counts
}
