import type { FastifyBaseLogger } from 'fastify'
import type { ResetPasswordUser } from '../users/adapter.js'
import type { MailMessage } from './templates.js'
import type { MailKind, ResetPasswordEmitter } from '../events.js'

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

export type Send = (message: MailMessage, user: ResetPasswordUser | null) => Promise<unknown>

interface Entry {
  readonly job: MailJob
  message: MailMessage | undefined
  attempts: number
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

/**
 * The one delivery queue: send-link enqueues and returns at once; a bounded number of deliveries
 * run at a time; failures are retried with exponential backoff and equal jitter
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/), then reported.
 */
export class MailQueue {
  readonly #send: Send
  readonly #events: ResetPasswordEmitter
  readonly #log: FastifyBaseLogger
  readonly #settings: QueueSettings
  readonly #waiting: Entry[] = []
  readonly #timers = new Map<NodeJS.Timeout, Entry>()
  #running = 0
  #closing = false
  #gaveUp = false
  #drained: (() => void) | undefined

  constructor (send: Send, events: ResetPasswordEmitter, log: FastifyBaseLogger, settings: QueueSettings) {
    this.#send = send
    this.#events = events
    this.#log = log
    this.#settings = settings
  }

  /** Mails queued, in flight or waiting for a retry. */
  get size (): number {
    return this.#waiting.length + this.#running + this.#timers.size
  }

  push (job: MailJob): void {
    this.#waiting.push({ job, message: undefined, attempts: 0 })
    // Not at once: the job's first step (signing, the template) would run on the request path, and its
    // time would tell a login that has an account from one that has none.
    setImmediate(() => { this.#pump() })
  }

  /**
   * Waits for every mail until the close timeout, then gives up on the rest (reported as `mailFailed`).
   * Returns how many mails were given up on.
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
    // Mail still in flight finishes on its own; if it fails now, it is reported instead of retried.
    this.#gaveUp = true
    this.#retryNow()
    const left = this.#waiting.splice(0)
    for (const entry of left) this.#fail(entry, new Error('fastify-reset-password: closed before the mail could be sent'))
    return left.length + this.#running
  }

  // Cuts every backoff short: the waiting mail goes back to the queue.
  #retryNow (): void {
    for (const [timer, entry] of this.#timers) {
      clearTimeout(timer)
      this.#waiting.push(entry)
    }
    this.#timers.clear()
    if (!this.#gaveUp) this.#pump()
  }

  #pump (): void {
    while (this.#running < this.#settings.concurrency && this.#waiting.length > 0) {
      const entry = this.#waiting.shift() as Entry
      this.#running++
      this.#attempt(entry).finally(() => {
        this.#running--
        this.#pump()
        if (this.size === 0) this.#drained?.()
      })
    }
  }

  async #attempt (entry: Entry): Promise<void> {
    entry.attempts++
    try {
      entry.message ??= await entry.job.build()
      if (entry.job.rehearsal === true) return
      await this.#send(entry.message, entry.job.user)
    } catch (err) {
      if (entry.job.rehearsal === true) return
      const error = err instanceof Error ? err : new Error(String(err))
      if (isPermanent(error) || entry.attempts >= this.#settings.attempts || this.#gaveUp) {
        this.#fail(entry, error)
      } else {
        this.#log.warn({ err: error, attempts: entry.attempts, kind: entry.job.kind }, 'fastify-reset-password: mail delivery failed, will retry')
        this.#retryLater(entry)
      }
      return
    }
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

  #fail (entry: Entry, error: Error): void {
    this.#log.error({ err: error, attempts: entry.attempts, kind: entry.job.kind }, 'fastify-reset-password: mail not delivered')
    this.#events.emit('mailFailed', { user: entry.job.user, kind: entry.job.kind, error, attempts: entry.attempts })
  }
}
