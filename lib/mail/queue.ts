import { setMaxListeners } from 'node:events'
import type { FastifyBaseLogger } from 'fastify'
import type { ResetPasswordUser } from '../users/adapter.js'
import type { MailMessage } from './templates.js'
import type { MailFailureReason, MailKind, ResetPasswordEmitter } from '../events.js'

export interface QueueOptions {
  /** Deliveries running at once. Default 4. */
  readonly concurrency?: number
  /** Attempts per mail, the first included. Default 5. */
  readonly attempts?: number
  /** Delay before the first retry in ms; doubles each retry, with jitter. Default 1000. */
  readonly retryDelay?: number
  /** Longest delay between two attempts in ms. Default 60000. */
  readonly maxRetryDelay?: number
  /** How long `fastify.close()` waits for queued and in-flight mail, in ms. Default 10000. */
  readonly closeTimeout?: number
}

export type QueueSettings = Required<QueueOptions>

export const queueDefaults: QueueSettings = { concurrency: 4, attempts: 5, retryDelay: 1000, maxRetryDelay: 60_000, closeTimeout: 10_000 }

/** A mail to deliver. `build` runs off the request path, when the job first leaves the queue. */
export interface MailJob {
  readonly kind: MailKind
  /** Null for a notice to an address that has no account. */
  readonly user: ResetPasswordUser | null
  readonly build: () => Promise<MailMessage>
  /** Built like a real mail, then dropped: never sent, retried or reported (see requestLinks). */
  readonly rehearsal?: boolean
}

/** Delivers one message; `signal` aborts when close() gives up on the mails still in flight. */
export type Send = (message: MailMessage, user: ResetPasswordUser | null, signal?: AbortSignal) => Promise<unknown>

/** What an operator can read of the queue, e.g. for a readiness probe (`app.resetPassword.queueStats()`). */
export interface QueueStats {
  /** Mails waiting for a delivery slot or for their next attempt. */
  readonly waiting: number
  /** Mails being built or delivered right now (at most `queue.concurrency`). */
  readonly inFlight: number
  /** `waiting + inFlight`: every mail accepted and not yet sent or given up on. */
  readonly depth: number
  /** How long ago, in ms of the plugin's clock (`now`), the oldest mail in `depth` was accepted; 0 when there is none. */
  readonly oldestAgeMs: number
  /** Mails delivered since the app started. */
  readonly sent: number
  /** Mails given up on since the app started (each reported once as `mailFailed`). */
  readonly failed: number
}

interface Entry {
  readonly job: MailJob
  readonly queuedAt: number
  message: MailMessage | undefined
  attempts: number
  /** Reported (sent or failed): whatever the attempt still running does, it is not reported again. */
  settled: boolean
}

// While closing, waiting out a long backoff would only make close() time out: retry soon instead.
const CLOSING_RETRY_DELAY = 100

/**
 * An SMTP reply code of 5xx is a permanent failure (RFC 5321, section 4.2.1): retrying cannot help.
 * Anything else (4xx, a refused or dropped connection, a timeout) may pass later.
 */
export function isPermanent (err: unknown): boolean {
  const code = (err as { responseCode?: unknown } | null)?.responseCode
  return typeof code === 'number' && code >= 500 && code < 600
}

// An upper bound with room to spare on the listeners nodemailer adds to the abort signal per delivery.
const LISTENERS_PER_DELIVERY = 3

const closed = (): Error => new Error('fastify-reset-password: closed before the mail could be sent')

/**
 * The one delivery queue: send-link enqueues and returns at once; a bounded number of deliveries
 * run at a time; failures are retried with exponential backoff and equal jitter
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), then reported.
 * Every mail pushed is reported exactly once, as `mailSent` or `mailFailed`.
 */
export class MailQueue {
  readonly #send: Send
  readonly #events: ResetPasswordEmitter
  readonly #log: FastifyBaseLogger
  readonly #settings: QueueSettings
  readonly #now: () => number
  readonly #waiting: Entry[] = []
  readonly #inFlight = new Set<Entry>()
  readonly #timers = new Map<NodeJS.Timeout, Entry>()
  readonly #abort = new AbortController()
  #sent = 0
  #failed = 0
  #closing = false
  #gaveUp = false
  #drained: (() => void) | undefined
  #pumpSoon = false

  constructor (send: Send, events: ResetPasswordEmitter, log: FastifyBaseLogger, settings: QueueSettings, now: () => number = Date.now) {
    this.#send = send
    this.#events = events
    this.#log = log
    this.#settings = settings
    this.#now = now
    // nodemailer listens to the signal once per mail it is sending and once more while the mail waits
    // in its pool, and lets go when the mail is done: up to two listeners per delivery in flight. Past
    // Node's default of 10 (a concurrency of 6 or more) it warned of a leak that is not one.
    setMaxListeners(Math.max(10, LISTENERS_PER_DELIVERY * settings.concurrency), this.#abort.signal)
  }

  /** Mails queued, in flight or waiting for a retry. */
  get size (): number {
    return this.#waiting.length + this.#inFlight.size + this.#timers.size
  }

  stats (): QueueStats {
    let oldest = Infinity
    for (const entries of [this.#waiting, this.#inFlight, this.#timers.values()]) {
      for (const entry of entries) oldest = Math.min(oldest, entry.queuedAt)
    }
    const inFlight = this.#inFlight.size
    const waiting = this.size - inFlight
    return { waiting, inFlight, depth: waiting + inFlight, oldestAgeMs: oldest === Infinity ? 0 : this.#now() - oldest, sent: this.#sent, failed: this.#failed }
  }

  push (job: MailJob): void {
    const entry: Entry = { job, queuedAt: this.#now(), message: undefined, attempts: 0, settled: false }
    // After close() nothing is sent: the mail is reported at once, so that it too is accounted for.
    if (this.#gaveUp) return this.#fail(entry, closed(), 'closed')
    this.#waiting.push(entry)
    // Not at once: the job's first step (signing, the template) would run on the request path, and its
    // time would tell a login that has an account from one that has none. One pending pump serves
    // every mail pushed before it runs.
    if (this.#pumpSoon) return
    this.#pumpSoon = true
    setImmediate(() => {
      this.#pumpSoon = false
      this.#pump()
    })
  }

  /**
   * Waits for every mail until the close timeout, then gives up on the rest, in flight included:
   * each is reported as `mailFailed` (reason `closed`) and its SMTP session is cut, so nothing is
   * sent or reported once this resolves. Returns how many mails were given up on.
   */
  async close (): Promise<number> {
    this.#closing = true
    this.#retryNow()
    if (this.size > 0) {
      let timeout: NodeJS.Timeout | undefined
      await Promise.race([
        new Promise<void>((resolve) => { this.#drained = resolve }),
        new Promise<void>((resolve) => { timeout = setTimeout(resolve, this.#settings.closeTimeout) })
      ])
      clearTimeout(timeout)
    }
    this.#gaveUp = true
    this.#retryNow()
    const left = [...this.#waiting.splice(0), ...this.#inFlight]
    this.#inFlight.clear()
    const before = this.#failed
    for (const entry of left) this.#fail(entry, closed(), 'closed')
    // Reported above; aborting makes the transport drop them and close their connections.
    this.#abort.abort()
    return this.#failed - before
  }

  // Cuts every backoff short: the waiting mail goes back to the queue.
  #retryNow (): void {
    for (const [timer, entry] of this.#timers) {
      clearTimeout(timer)
      this.#waiting.push(entry)
    }
    this.#timers.clear()
    this.#pump()
  }

  #pump (): void {
    while (!this.#gaveUp && this.#inFlight.size < this.#settings.concurrency && this.#waiting.length > 0) {
      const entry = this.#waiting.shift() as Entry
      this.#inFlight.add(entry)
      this.#attempt(entry).finally(() => {
        this.#inFlight.delete(entry)
        this.#pump()
        if (this.size === 0) this.#drained?.()
      })
    }
  }

  async #attempt (entry: Entry): Promise<void> {
    entry.attempts++
    try {
      entry.message ??= await entry.job.build()
      if (entry.job.rehearsal === true || entry.settled) return
      await this.#send(entry.message, entry.job.user, this.#abort.signal)
    } catch (err) {
      if (entry.job.rehearsal === true) return
      const error = err instanceof Error ? err : new Error(String(err))
      if (isPermanent(error)) {
        this.#fail(entry, error, 'permanent')
      } else if (entry.attempts >= this.#settings.attempts) {
        this.#fail(entry, error, 'exhausted')
      } else if (!entry.settled) {
        this.#log.warn({ err: error, attempts: entry.attempts, kind: entry.job.kind }, 'fastify-reset-password: mail delivery failed, will retry')
        this.#retryLater(entry)
      }
      return
    }
    // Given up on by close() while in flight: already reported as failed.
    if (entry.settled) return
    entry.settled = true
    this.#sent++
    this.#events.emit('mailSent', { user: entry.job.user, kind: entry.job.kind, message: entry.message, attempts: entry.attempts })
  }

  #retryLater (entry: Entry): void {
    const { retryDelay, maxRetryDelay } = this.#settings
    const ceiling = Math.min(maxRetryDelay, retryDelay * 2 ** (entry.attempts - 1))
    // "Equal jitter": at least half the ceiling, so a retry never comes right away.
    const delay = this.#closing ? CLOSING_RETRY_DELAY : ceiling / 2 + Math.random() * ceiling / 2
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      this.#waiting.push(entry)
      this.#pump()
    }, delay)
    this.#timers.set(timer, entry)
  }

  // Reports a mail once; a rehearsal is never reported.
  #fail (entry: Entry, error: Error, reason: MailFailureReason): void {
    if (entry.settled || entry.job.rehearsal === true) return
    entry.settled = true
    this.#failed++
    this.#log.error({ err: error, attempts: entry.attempts, kind: entry.job.kind, reason }, 'fastify-reset-password: mail not delivered')
    this.#events.emit('mailFailed', { user: entry.job.user, kind: entry.job.kind, error, reason, attempts: entry.attempts })
  }
}
