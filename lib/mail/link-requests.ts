import type { FastifyBaseLogger } from 'fastify'
import type { ResetPasswordUser, UserAdapter } from '../users/adapter.js'
import type { ResetPasswordEmitter } from '../events.js'
import type { Composer } from './compose.js'
import type { MailJob } from './queue.js'
import type { SharedStore } from '../store/shared-store.js'
import { loginKey, type AccountCap } from '../rate-limit.js'
import { fromStore, orUnavailable } from '../store.js'
import { UNUSABLE_HASH } from '../password/hash.js'

/**
 * Hands a mail job on. The plugin's in-process path pushes it to its queue and returns nothing;
 * a durable worker builds and sends it before its promise resolves, so that a failure fails (and
 * retries) the job.
 */
export type Post = (job: MailJob) => Promise<void> | undefined

/** The mails of one flow (the link, or the code): the real one for a user, and its rehearsal for a stand-in. */
export interface MailFlow {
  job (user: ResetPasswordUser, locale: string | undefined): MailJob
  /** `key`: the login's (loginKey), for a flow that leaves state behind for the login it was asked for. */
  rehearsal (locale: string | undefined, key: string): MailJob
}

export interface LinkRequests {
  /** The link mail to `user`: it is signed, and `linkCreated` emitted, when the job is built. */
  linkJob (user: ResetPasswordUser, locale: string | undefined): MailJob
  /**
   * Looks `login` up and posts a link mail to every active user with an e-mail address it finds (a
   * rehearsal instead for one past its mail cap); when there is none, a rehearsal for a stand-in and
   * the unknown-account notice. Returns whether a user was found. `flow` replaces the link mail
   * (the code flow), under the same per-account cap and with the same work for every login.
   */
  request (login: string, locale: string | undefined, post: Post, flow?: MailFlow): Promise<boolean>
}

export interface LinkRequestsDeps {
  readonly users: UserAdapter
  readonly compose: Composer
  readonly events: ResetPasswordEmitter
  readonly log: FastifyBaseLogger
  /** Longest wait for the user store, in ms (`storeTimeout`). */
  readonly storeTimeout: number
  /** Where mails per account and unknown-account notices are counted (`settings.store`). */
  readonly store: SharedStore
  /** How many mails an account gets (`accountCap(settings.rateLimit)`). */
  readonly cap: AccountCap
}

// Whom the mail for an unknown login is rehearsed for (see request); it is never sent. Shaped like a user
// of the default hasher who has a username, so that its link's HMAC, a code's and the template cost what
// a real user's do: with an empty hash and no username they cost less.
export const STAND_IN: ResetPasswordUser = { id: '0', email: 'nobody@example.invalid', username: 'nobody', passwordHash: UNUSABLE_HASH, isActive: true }

// Conservative: one @, a dot in the domain, no white space (so no header can be smuggled in) and
// none of the characters that make an address a display-name list.
const ADDRESS = /^[^\s@"<>(),;:\\[\]]{1,64}@[^\s@"<>(),;:\\[\]]+\.[^\s@"<>(),;:\\[\]]+$/u
// One unknown-account notice per address and hour.
const NOTICE_INTERVAL = 3600_000

export function eligible (user: ResetPasswordUser): boolean {
  return user.isActive && typeof user.email === 'string' && user.email !== ''
}

/** What the plugin and a durable worker both do for a send-link request. */
export function createLinkRequests ({ users, compose, events, log, storeTimeout, store, cap }: LinkRequestsDeps): LinkRequests {
  // The shared store bounds its own calls when it can hang (Redis); in memory it cannot.
  const count = (key: string, windowMs: number): Promise<number> =>
    orUnavailable(log, store.hit(key, windowMs), 'the shared store')

  function linkJob (user: ResetPasswordUser, locale: string | undefined): MailJob {
    return {
      kind: 'link',
      user,
      build: async () => {
        const { message, link, expiresAt } = await compose.link(user, locale)
        events.emit('linkCreated', { user, link, expiresAt })
        return message
      }
    }
  }

  // For a login with no account, the link mail is built for a stand-in and dropped before sending:
  // the work done off the request path (queueing, signing, the template) then costs the same
  // whether or not the login exists.
  function rehearsal (locale: string | undefined): MailJob {
    return { kind: 'link', user: STAND_IN, rehearsal: true, build: async () => (await compose.link(STAND_IN, locale)).message }
  }

  const links: MailFlow = { job: linkJob, rehearsal }

  return {
    linkJob,
    async request (login, locale, post, flow = links) {
      // Every login's key, though only one without an account (or past its cap) uses it: the first hash
      // of a request runs on cold caches (3 to 4 µs in the timing bench's server, against 0.3 in a loop),
      // and paid by unknown logins alone it made them the slower by 2.5 to 6 µs on an Intel host
      // (SECURITY.md, Timing).
      const key = loginKey(login)
      const found = await fromStore(log, storeTimeout, () => users.findByLogin(login))
      const recipients = found.filter(eligible)
      // Either way one count in the shared store per mail, then one job posted: the same work whether
      // the login has an account, has one past its cap, or has none.
      for (const user of recipients) {
        const mails = await count(`mail:account:${user.id}`, cap.windowMs)
        // Past the cap nothing leaves, however the login was spelled; the reply stays the same 200.
        await post(mails > cap.max ? flow.rehearsal(locale, key) : flow.job(user, locale))
      }
      if (recipients.length > 0) return true
      const asked = await count(`mail:unknown:${key}`, NOTICE_INTERVAL)
      await post(flow.rehearsal(locale, key))
      const notice = compose.unknown
      if (notice !== undefined && asked === 1 && ADDRESS.test(login)) {
        await post({ kind: 'unknown-account-notice', user: null, build: async () => await notice(login, locale) })
      }
      return false
    }
  }
}
