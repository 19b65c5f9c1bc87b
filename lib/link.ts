import type { LinkSigner, SignedUser } from './signer/signer.js'

/** The three query parameters of a reset link, as the frontend receives them. */
export interface ResetLinkParams {
  readonly user_id: string
  readonly timestamp: string
  readonly signature: string
}

export type LinkStatus = 'valid' | 'invalid' | 'expired'

/** Signs, checks and builds reset links: `fastify.resetPassword.signer`. */
export interface ResetLinks {
  /** The query parameters of a fresh link for `user`. */
  sign (user: SignedUser): ResetLinkParams
  /** The full link to mail to `user`: the verification URL with the parameters added. */
  url (user: SignedUser): string
  /**
   * Checks a link for `user`, signature first, then age: a link is valid up to and including
   * `period` seconds after its timestamp (as in Django), and one from more than a minute in the future is invalid.
   */
  verify (user: SignedUser, timestamp: number, signature: string): LinkStatus
  /** When a link signed at `timestamp` (UNIX seconds; default now) stops working. */
  expiresAt (timestamp?: number): Date
}

// Clocks of several instances drift a little; a link from further ahead was not made by us.
const MAX_CLOCK_SKEW = 60

// What application/x-www-form-urlencoded (URLSearchParams) leaves as it is.
const FORM_SAFE = /^[A-Za-z0-9*._-]*$/

function formEncode (value: string): string {
  return FORM_SAFE.test(value) ? value : new URLSearchParams([['', value]]).toString().slice(1)
}

/**
 * The link as URL and URLSearchParams would write it. A URL object and three `searchParams.set`
 * per mail (each writes the whole URL again) were a tenth of send-link's CPU; a verification URL
 * without a query or fragment, the usual one, just gets the parameters appended as text.
 */
function linkBuilder (verificationUrl: URL): (params: ResetLinkParams) => string {
  const base = verificationUrl.href
  if (!base.includes('?') && !base.includes('#')) {
    return ({ user_id: id, timestamp, signature }) =>
      `${base}?user_id=${formEncode(id)}&timestamp=${formEncode(timestamp)}&signature=${formEncode(signature)}`
  }
  return (params) => {
    const url = new URL(base)
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
    return url.href
  }
}

export function createLinks (signer: LinkSigner, verificationUrl: URL, period: number, now: () => number): ResetLinks {
  const seconds = (): number => Math.floor(now() / 1000)
  const build = linkBuilder(verificationUrl)
  const links: ResetLinks = {
    sign (user) {
      const timestamp = seconds()
      return { user_id: user.id, timestamp: String(timestamp), signature: signer.sign(user, timestamp) }
    },
    url (user) {
      return build(links.sign(user))
    },
    verify (user, timestamp, signature) {
      if (!signer.verify(user, timestamp, signature)) return 'invalid'
      const age = seconds() - timestamp
      if (age < -MAX_CLOCK_SKEW) return 'invalid'
      return age > period ? 'expired' : 'valid'
    },
    expiresAt (timestamp = seconds()) {
      return new Date((timestamp + period) * 1000)
    }
  }
  return links
}
