import { EventEmitter } from 'node:events'
import type { FastifyBaseLogger } from 'fastify'
import type { ResetPasswordUser } from './users/adapter.js'
import type { MailMessage } from './mail/templates.js'

/** Why a mail was queued. */
export type MailKind = 'link' | 'code' | 'changed-notice' | 'unknown-account-notice'

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
  /** A mail was given up on: permanent failure, attempts exhausted, or the app closed first. */
  mailFailed: [{ readonly user: ResetPasswordUser | null, readonly kind: MailKind, readonly error: Error, readonly attempts: number }]
  /** A password was reset. Revoke the user's sessions here. */
  passwordReset: [{ readonly user: ResetPasswordUser }]
}

/**
 * The plugin's event emitter. Listeners are the app's code: one that throws or rejects is logged
 * and never changes an HTTP response or stops the other listeners.
 */
export class ResetPasswordEmitter extends EventEmitter<ResetPasswordEvents> {
  readonly #log: FastifyBaseLogger

  constructor (log: FastifyBaseLogger) {
    super()
    this.#log = log
  }

  override emit<K extends keyof ResetPasswordEvents> (event: K, ...args: ResetPasswordEvents[K]): boolean {
    // rawListeners, so a listener added with once() is removed when called.
    const listeners = this.rawListeners(event) as Array<(...a: ResetPasswordEvents[K]) => unknown>
    for (const listener of listeners) {
      try {
        const result = listener.apply(this, args)
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
