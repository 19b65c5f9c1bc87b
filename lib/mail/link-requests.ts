import type { FastifyBaseLogger } from 'fastify'
import type { ResetPasswordUser, UserAdapter } from '../users/adapter.js'
import type { ResetPasswordEmitter } from '../events.js'
import type { Composer } from './compose.js'
import type { MailJob } from './queue.js'
import { Throttle } from './throttle.js'
import { loginKey } from '../rate-limit.js'
import { fromStore } from '../store.js'

/**
 * Hands a mail job on. The plugin's in-process path pushes it to its queue and returns at once;
 * a durable worker builds and sends it before resolving, so that a failure fails (and retries) the job.
 */
export type Post = (job: MailJob) => Promise<void>

export interface LinkRequests {
  /** The link mail to `user`: it is signed, and `linkCreated` emitted, when the job is built. */
  linkJob (user: ResetPasswordUser, locale: string | undefined): MailJob
  /**
   * Looks `login` up and posts a link mail to every active user with an e-mail address it finds; when
   * there is none, a rehearsal for a stand-in and the unknown-account notice. Returns whether a user was found.
   */
  request (login: string, locale: string | undefined, post: Post): Promise<boolean>
}

export interface LinkRequestsDeps {
  readonly users: UserAdapter
  readonly compose: Composer
  readonly events: ResetPasswordEmitter
  readonly log: FastifyBaseLogger
  readonly now: () => number
  /** Longest wait for the user store, in ms (`storeTimeout`). */
  readonly storeTimeout: number
}

// Whom the mail for an unknown login is rehearsed for (see request); it is never sent.
const STAND_IN: ResetPasswordUser = { id: '0', email: 'nobody@example.invalid', username: null, passwordHash: '', isActive: true }

// Conservative: one @, a dot in the domain, no white space (so no header can be smuggled in) and
// none of the characters that make an address a display-name list.
const ADDRESS = /^[^\s@"<>(),;:\\[\]]{1,64}@[^\s@"<>(),;:\\[\]]+\.[^\s@"<>(),;:\\[\]]+$/u
const NOTICE_INTERVAL = 3600_000
const NOTICE_MEMORY = 10_000

export function eligible (user: ResetPasswordUser): boolean {
  return user.isActive && typeof user.email === 'string' && user.email !== ''
}

/** What the plugin and a durable worker both do for a send-link request. */
export function createLinkRequests ({ users, compose, events, log, now, storeTimeout }: LinkRequestsDeps): LinkRequests {
  const noticed = new Throttle(NOTICE_INTERVAL, NOTICE_MEMORY, now)

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

  function unknownNotice (login: string, locale: string | undefined): MailJob | undefined {
    const notice = compose.unknown
    if (notice === undefined || !ADDRESS.test(login) || !noticed.allow(loginKey(login))) return undefined
    return { kind: 'unknown-account-notice', user: null, build: async () => await notice(login, locale) }
  }

  return {
    linkJob,
    async request (login, locale, post) {
      const found = await fromStore(log, storeTimeout, async () => await users.findByLogin(login))
      const recipients = found.filter(eligible)
      for (const user of recipients) await post(linkJob(user, locale))
      if (recipients.length === 0) {
        await post(rehearsal(locale))
        const notice = unknownNotice(login, locale)
        if (notice !== undefined) await post(notice)
      }
      return recipients.length > 0
    }
  }
}
