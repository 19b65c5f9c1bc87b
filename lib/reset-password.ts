import type { FastifyBaseLogger } from 'fastify'
import type { Settings } from './options.js'
import type { ResetPasswordUser, UserAdapter } from './users/adapter.js'
import type { PasswordReason } from './password/policy.js'
import { createLinks, type ResetLinks } from './link.js'
import { ResetPasswordEmitter, type ResetPasswordEvents } from './events.js'
import { MailQueue, type MailJob } from './mail/queue.js'
import { createSender } from './mail/sender.js'
import type { MailMessage } from './mail/templates.js'
import { defaultChangedNotice, defaultLinkTemplate, defaultUnknownAccountNotice } from './mail/templates.js'
import { Throttle } from './mail/throttle.js'
import { loginKey } from './rate-limit.js'
import { InvalidPasswordError, InvalidSignatureError, PasswordMismatchError, ServiceUnavailableError, SignatureExpiredError } from './errors.js'

export interface SendLinkOptions {
  /** Passed to the templates, e.g. from the request's Accept-Language. */
  readonly locale?: string | undefined
}

/**
 * `fastify.resetPassword`: what an app can use beyond the two routes.
 *
 * @example
 * ```ts
 * app.resetPassword.on('passwordReset', ({ user }) => sessions.revokeAll(user.id))
 * const user = await app.resetPassword.users.findById('42')
 * if (user !== null) app.resetPassword.sendLink(user)   // e.g. from an admin screen
 * ```
 */
export interface ResetPassword {
  /** Signs, checks and builds reset links. */
  readonly signer: ResetLinks
  /** The user adapter the plugin was given. */
  readonly users: UserAdapter
  /**
   * Queues a reset-link mail to `user` and returns at once: true if queued, false (nothing sent)
   * for an inactive user or one without an e-mail address.
   */
  sendLink (user: ResetPasswordUser, options?: SendLinkOptions): boolean
  on<K extends keyof ResetPasswordEvents> (event: K, listener: (...args: ResetPasswordEvents[K]) => unknown): this
  once<K extends keyof ResetPasswordEvents> (event: K, listener: (...args: ResetPasswordEvents[K]) => unknown): this
  off<K extends keyof ResetPasswordEvents> (event: K, listener: (...args: ResetPasswordEvents[K]) => unknown): this
}

/** What the routes use; not part of the decorator. */
export interface Workflow {
  readonly api: ResetPassword
  /**
   * Queues a link to every active user with an e-mail address that `login` finds, or the
   * unknown-account notice when there is none. Returns whether a user was found.
   */
  requestLinks (login: string, locale: string | undefined): Promise<boolean>
  /** The user a link belongs to; throws the link's error when it is not valid. */
  verify (userId: string, timestamp: number, signature: string): Promise<ResetPasswordUser>
  /** Checks the policy, stores the new hash if the link is still unused, emits passwordReset, sends the notice. */
  reset (user: ResetPasswordUser, password: string, confirm: string | undefined, locale: string | undefined): Promise<void>
  close (): Promise<void>
  /** Queues a mail: for flows beside the link (lib/codes), so all mail leaves through one queue. */
  enqueue (job: MailJob): void
  /** The emitter behind `api.on`, for those flows' own events. */
  readonly events: ResetPasswordEmitter
}

// Whom the mail for an unknown login is rehearsed for (see rehearse); it is never sent.
export const STAND_IN: ResetPasswordUser = { id: '0', email: 'nobody@example.invalid', username: null, passwordHash: '', isActive: true }
// Verified against when the user does not exist, so an unknown id costs the same HMAC as a known one.
const NOBODY: ResetPasswordUser = { id: '', email: null, username: null, passwordHash: '', isActive: false }

// A store that throws (down, timed out) answers one generic 503: never a 500, and the same for every login.
export async function fromStore<T> (log: FastifyBaseLogger, query: () => Promise<T>): Promise<T> {
  try {
    return await query()
  } catch (err) {
    log.error({ err }, 'fastify-reset-password: the user store failed')
    throw new ServiceUnavailableError()
  }
}

// Conservative: one @, a dot in the domain, no white space (so no header can be smuggled in) and
// none of the characters that make an address a display-name list.
const ADDRESS = /^[^\s@"<>(),;:\\[\]]{1,64}@[^\s@"<>(),;:\\[\]]+\.[^\s@"<>(),;:\\[\]]+$/u
const NOTICE_INTERVAL = 3600_000
const NOTICE_MEMORY = 10_000

export function eligible (user: ResetPasswordUser): boolean {
  return user.isActive && typeof user.email === 'string' && user.email !== ''
}

export function createWorkflow (settings: Settings, log: FastifyBaseLogger): Workflow {
  const { users, mail, policy } = settings
  const events = new ResetPasswordEmitter(log)
  const links = createLinks(settings.signer, settings.verificationUrl, settings.period, settings.now)
  const sender = createSender(settings.deliver, mail?.transport, settings.queue.concurrency)
  const queue = new MailQueue(sender.send, events, log, settings.queue)
  const envelope = { from: mail?.from ?? '', ...(mail?.replyTo === undefined ? {} : { replyTo: mail.replyTo }) }
  const linkTemplate = mail?.linkTemplate ?? defaultLinkTemplate
  const changedNotice = mail?.changedNotice ?? defaultChangedNotice
  const unknownNotice = mail?.unknownAccountNotice === true ? defaultUnknownAccountNotice : mail?.unknownAccountNotice || undefined
  const noticed = new Throttle(NOTICE_INTERVAL, NOTICE_MEMORY, settings.now)

  async function linkMail (user: ResetPasswordUser, locale: string | undefined): Promise<{ message: MailMessage, link: string, expiresAt: Date }> {
    const link = links.url(user)
    const expiresAt = links.expiresAt()
    const content = await linkTemplate({ user, link, expiresAt, locale })
    return { message: { ...envelope, to: user.email as string, ...content }, link, expiresAt }
  }

  // For a login with no account, the link mail goes through the queue for a stand-in and is dropped
  // before sending: the work done right after the reply (queueing, signing, the template) then costs
  // the same whether or not the login exists.
  function rehearse (locale: string | undefined): void {
    queue.push({ kind: 'link', user: STAND_IN, rehearsal: true, build: async () => (await linkMail(STAND_IN, locale)).message })
  }

  function notifyUnknown (login: string, locale: string | undefined): void {
    if (unknownNotice === undefined || !ADDRESS.test(login) || !noticed.allow(loginKey(login))) return
    queue.push({
      kind: 'unknown-account-notice',
      user: null,
      // Sent to the address as typed: there is no stored one, and that address is who asked.
      build: async () => ({ ...envelope, to: login, ...await unknownNotice({ address: login, locale }) })
    })
  }

  const api: ResetPassword = {
    signer: links,
    users,
    sendLink (user, options = {}) {
      if (!eligible(user)) return false
      queue.push({
        kind: 'link',
        user,
        build: async () => {
          const { message, link, expiresAt } = await linkMail(user, options.locale)
          events.emit('linkCreated', { user, link, expiresAt })
          return message
        }
      })
      return true
    },
    on (event, listener) { events.on(event, listener as never); return this },
    once (event, listener) { events.once(event, listener as never); return this },
    off (event, listener) { events.off(event, listener as never); return this }
  }

  return {
    api,
    async requestLinks (login, locale) {
      const found = await fromStore(log, async () => await users.findByLogin(login))
      const recipients = found.filter(eligible)
      for (const user of recipients) api.sendLink(user, { locale })
      if (recipients.length === 0) {
        rehearse(locale)
        notifyUnknown(login, locale)
      }
      return recipients.length > 0
    },
    async verify (userId, timestamp, signature) {
      const user = await fromStore(log, async () => await users.findById(userId))
      const candidate = user !== null && user.isActive ? user : null
      const status = links.verify(candidate ?? NOBODY, timestamp, signature)
      if (candidate === null || status === 'invalid') throw new InvalidSignatureError()
      if (status === 'expired') throw new SignatureExpiredError()
      return candidate
    },
    async reset (user, password, confirm, locale) {
      if (confirm !== undefined && confirm !== password) throw new PasswordMismatchError()
      // The length cap runs before anything else touches the password: hashing a megabyte is a DoS.
      const tooLong = policy.tooLong(password)
      const reasons: PasswordReason[] = tooLong === null ? await policy.check(password, user) : [tooLong]
      if (reasons.length > 0) throw Object.assign(new InvalidPasswordError(), { reasons })
      const hash = await settings.hash(password)
      // Compare-and-swap on the hash the link was verified against: of two requests with one link, one wins.
      const swapped = await fromStore(log, async () => await users.replacePasswordHash(user.id, user.passwordHash, hash))
      if (!swapped) throw new InvalidSignatureError()
      const changed = { ...user, passwordHash: hash }
      events.emit('passwordReset', { user: changed })
      if (changedNotice !== false && eligible(changed)) {
        const changedAt = new Date(settings.now())
        queue.push({
          kind: 'changed-notice',
          user: changed,
          build: async () => ({ ...envelope, to: changed.email as string, ...await changedNotice({ user: changed, changedAt, locale }) })
        })
      }
    },
    async close () {
      await queue.close()
      sender.close()
    },
    enqueue (job) { queue.push(job) },
    events
  }
}
