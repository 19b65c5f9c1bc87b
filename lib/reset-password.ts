import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Settings } from './options.js'
import type { ResetPasswordUser, UserAdapter } from './users/adapter.js'
import type { PasswordReason } from './password/policy.js'
import { createLinks, type ResetLinks } from './link.js'
import { ResetPasswordEmitter, type ResetPasswordEvents, type ResetPasswordListener } from './events.js'
import { MailQueue, type MailJob, type QueueStats } from './mail/queue.js'
import { createSender } from './mail/sender.js'
import { createComposer } from './mail/compose.js'
import { createLinkRequests, eligible, STAND_IN, type MailFlow } from './mail/link-requests.js'
import { bounded, fromStore } from './store.js'
import { accountCap } from './rate-limit.js'
import type { Producer } from './producer.js'
import { BREACHED, createBreachedCheck } from './password/breached.js'
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
  /**
   * A snapshot of this instance's mail queue: depth, the oldest mail's age, mails sent and failed.
   *
   * @example
   * ```ts
   * app.get('/ready', async (request, reply) => {
   *   const { depth, oldestAgeMs } = app.resetPassword.queueStats()
   *   if (depth > 1000 || oldestAgeMs > 60_000) return await reply.code(503).send({ ready: false, depth, oldestAgeMs })
   *   return { ready: true }
   * })
   * ```
   */
  queueStats (): QueueStats
  on<K extends keyof ResetPasswordEvents> (event: K, listener: ResetPasswordListener<K>): this
  once<K extends keyof ResetPasswordEvents> (event: K, listener: ResetPasswordListener<K>): this
  off<K extends keyof ResetPasswordEvents> (event: K, listener: ResetPasswordListener<K>): this
}

/** What the routes use; not part of the decorator. */
export interface Workflow {
  readonly api: ResetPassword
  /**
   * Queues a link to every active user with an e-mail address that `login` finds, or the
   * unknown-account notice when there is none. Returns whether a user was found; with a `producer`,
   * the request itself is queued and the lookup left to the worker (true) unless `failWhenUserNotFound` needs it.
   */
  requestLinks (login: string, locale: string | undefined): Promise<boolean>
  /** The user a link belongs to; throws the link's error when it is not valid. */
  verify (userId: string, timestamp: number, signature: string): Promise<ResetPasswordUser>
  /** Checks the policy, stores the new hash if the link is still unused, emits passwordReset, sends the notice. */
  reset (user: ResetPasswordUser, password: string, confirm: string | undefined, locale: string | undefined): Promise<void>
  close (): Promise<void>
  /**
   * What requestLinks does in process, with another flow's mail (lib/codes): the same lookup,
   * per-account cap, rehearsal and unknown-account notice, and the one queue.
   */
  requestMail (login: string, locale: string | undefined, flow: MailFlow): Promise<boolean>
  /** The emitter behind `api.on`, for those flows' own events. */
  readonly events: ResetPasswordEmitter
}

// Verified against when the user does not exist, so an unknown id costs the same HMAC as a known one, over
// a message as long as a user's: the stand-in's hash and address, where an empty hash and none were shorter.
const NOBODY: ResetPasswordUser = { ...STAND_IN, id: '', isActive: false }

export function createWorkflow (settings: Settings, log: FastifyBaseLogger): Workflow {
  const { users, policy } = settings
  const events = new ResetPasswordEmitter(log)
  const links = createLinks(settings.signer, settings.verificationUrl, settings.period, settings.now)
  const sender = createSender(settings.deliver, settings.mail?.transport, settings.queue.concurrency)
  const queue = new MailQueue(sender.send, events, log, settings.queue, settings.now)
  const breachCheck = settings.breached === null ? null : createBreachedCheck(settings.breached, log)
  const compose = createComposer(settings.mail, links)
  const requests = createLinkRequests({ users, compose, events, log, storeTimeout: settings.storeTimeout, store: settings.store, cap: accountCap(settings.rateLimit) })
  const push = (job: MailJob): undefined => { queue.push(job) }
  const producer = settings.producer

  // After a password change: the event, then the notice, handed to the durable queue when there is one.
  async function passwordChanged (changed: ResetPasswordUser, locale: string | undefined): Promise<void> {
    events.emit('passwordReset', { user: changed })
    const notice = compose.changed
    if (notice === undefined || !eligible(changed)) return
    const changedAt = new Date(settings.now())
    if (producer !== undefined) {
      try {
        const job = { kind: 'changed-notice', id: randomUUID(), userId: changed.id, locale: locale ?? null, changedAt: changedAt.getTime() } as const
        await bounded(producer.enqueue(job), settings.storeTimeout, 'the durable queue')
        return
      } catch (err) {
        // The password is changed already: the reply stays a success, and the notice goes the in-process way.
        log.error({ err }, 'fastify-reset-password: the durable queue failed, the changed-password notice goes through the in-process queue')
      }
    }
    queue.push({ kind: 'changed-notice', user: changed, build: async () => await notice(changed, changedAt, locale) })
  }

  // send-link with a durable queue: the request is stored, and a worker does the lookup and the mail.
  async function durableRequest (durable: Producer, login: string, locale: string | undefined): Promise<boolean> {
    // With failWhenUserNotFound the answer tells anyway, so the lookup may run on the request path.
    const found = !settings.failWhenUserNotFound || (await fromStore(log, settings.storeTimeout, () => users.findByLogin(login))).some(eligible)
    const job = { kind: 'link-request', id: randomUUID(), login, locale: locale ?? null } as const
    await fromStore(log, settings.storeTimeout, async () => { await durable.enqueue(job) }, 'the durable queue')
    return found
  }

  const api: ResetPassword = {
    signer: links,
    users,
    sendLink (user, options = {}) {
      if (!eligible(user)) return false
      queue.push(requests.linkJob(user, options.locale))
      return true
    },
    queueStats: () => queue.stats(),
    on (event, listener) { events.on(event, listener); return this },
    once (event, listener) { events.once(event, listener); return this },
    off (event, listener) { events.off(event, listener); return this }
  }

  return {
    api,
    // Not async itself: in process, it is requests.request's promise, with no layer around it.
    requestLinks (login, locale) {
      return producer === undefined ? requests.request(login, locale, push) : durableRequest(producer, login, locale)
    },
    async verify (userId, timestamp, signature) {
      const user = await fromStore(log, settings.storeTimeout, () => users.findById(userId))
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
      // After the local rules, and only here, once the link is proven valid: the lookup leaves the process.
      const breached = tooLong === null && breachCheck !== null ? await breachCheck(password) : false
      if (breached === true) reasons.push(BREACHED)
      if (reasons.length > 0) throw Object.assign(new InvalidPasswordError(), { reasons })
      // Failing closed: a password nobody could check is not stored (one refused anyway was answered above).
      if (breached === null) throw new ServiceUnavailableError()
      const hash = await settings.hash(password)
      // Object.assign, not a spread: Node 20 copies `{ ...user, passwordHash }` the slow way (see addresser).
      const changed: ResetPasswordUser = Object.assign({}, user, { passwordHash: hash })
      let late = false
      // Compare-and-swap on the hash the link was verified against: of two requests with one link, one wins.
      const write = (async () => await users.replacePasswordHash(user.id, user.passwordHash, hash))()
      // What follows a swap runs when the write lands, even after storeTimeout answered 503: the password
      // did change, so the app must still hear of it (to revoke sessions) and the user still gets the notice.
      // A failed write is reported by fromStore below.
      const followed = write.then(async (swapped) => {
        if (!swapped) return
        if (late) log.warn({ userId: user.id }, 'fastify-reset-password: a password write landed after its timeout; the reset took effect')
        await passwordChanged(changed, locale)
      }, () => {})
      const swapped = await fromStore(log, settings.storeTimeout, () => write).catch((err: unknown) => {
        late = true
        throw err
      })
      if (!swapped) throw new InvalidSignatureError()
      await followed
    },
    async close () {
      await queue.close()
      sender.close()
    },
    async requestMail (login, locale, flow) {
      return await requests.request(login, locale, push, flow)
    },
    events
  }
}
