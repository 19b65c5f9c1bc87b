import { EventEmitter } from 'node:events'
import type { FastifyBaseLogger } from 'fastify'
import type { ResetPasswordUser } from './users/adapter.js'
import type { MailMessage } from './mail/templates.js'

/** Why a mail was queued. */
export type MailKind = 'link' | 'code' | 'changed-notice' | 'unknown-account-notice'

/**
 * Why a mail was given up on: `permanent`, the server refused it for good (SMTP 5xx); `exhausted`,
 * every attempt failed; `closed`, the app closed first (queued, waiting for a retry, or in flight
 * when `queue.closeTimeout` ran out).
 */
export type MailFailureReason = 'permanent' | 'exhausted' | 'closed'

/** The events of `fastify.resetPassword`, with their payloads. */
export interface ResetPasswordEvents {
  /** A link was signed for a user (before its mail is built). The link is a secret: do not log it. */
  linkCreated: [{ readonly user: ResetPasswordUser, readonly link: string, readonly expiresAt: Date }]
  /**
   * A reset code was derived for a user (before its mail is built; only with the `codes` option). The code is a
   * secret that resets the password: never log it or send it anywhere but to the user.
   */
  codeCreated: [{ readonly user: ResetPasswordUser, readonly code: string, readonly expiresAt: Date }]
  /** A mail was handed to the transport (or the `deliver` function) successfully. `user` is null for an unknown-account notice. */
  mailSent: [{ readonly user: ResetPasswordUser | null, readonly kind: MailKind, readonly message: MailMessage, readonly attempts: number }]
  /** A mail was given up on: permanent failure, attempts exhausted, or the app closed first (see `reason`). */
  mailFailed: [{ readonly user: ResetPasswordUser | null, readonly kind: MailKind, readonly error: Error, readonly reason: MailFailureReason, readonly attempts: number }]
  /** A password was reset. Revoke the user's sessions here. */
  passwordReset: [{ readonly user: ResetPasswordUser }]
}

/** A listener of `event`, as `fastify.resetPassword.on(event, listener)` takes it. */
export type ResetPasswordListener<K extends keyof ResetPasswordEvents> = (...args: ResetPasswordEvents[K]) => unknown

/**
 * The plugin's event emitter. Listeners are the app's code: one that throws or rejects is logged
 * and never changes an HTTP response or stops the other listeners.
 *
 * It wraps an EventEmitter instead of extending `EventEmitter<ResetPasswordEvents>`: a subclass
 * that narrows `emit` is not assignable to its base under every @types/node (26 refuses it), and
 * its declaration would break a consumer's type check.
 */
export class ResetPasswordEmitter {
  readonly #emitter = new EventEmitter()
  readonly #log: FastifyBaseLogger

  constructor (log: FastifyBaseLogger) {
    this.#log = log
  }

  on<K extends keyof ResetPasswordEvents> (event: K, listener: ResetPasswordListener<K>): void {
    this.#emitter.on(event, listener)
  }

  once<K extends keyof ResetPasswordEvents> (event: K, listener: ResetPasswordListener<K>): void {
    this.#emitter.once(event, listener)
  }

  off<K extends keyof ResetPasswordEvents> (event: K, listener: ResetPasswordListener<K>): void {
    this.#emitter.off(event, listener)
  }

  emit<K extends keyof ResetPasswordEvents> (event: K, ...args: ResetPasswordEvents[K]): boolean {
    // rawListeners, so a listener added with once() is removed when called.
    const listeners = this.#emitter.rawListeners(event) as Array<ResetPasswordListener<K>>
    for (const listener of listeners) {
      try {
        const result = listener.apply(this.#emitter, args)
        if (result instanceof Promise) result.catch((err: unknown) => this.#failed(event, err))
      } catch (err) {
        this.#failed(event, err)
      }
    }
    return listeners.length > 0
  }

  #failed (event: string, err: unknown): void {
    this.#log.error({ err, event }, 'fastify-reset-password: an event listener failed')
  }
}
