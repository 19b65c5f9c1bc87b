/**
 * A send-link request, queued before the reply. The worker looks the login up, signs and sends, so
 * the request path does the same work whether or not the login has an account.
 */
export interface LinkRequestJob {
  readonly kind: 'link-request'
  /** Unique per request: enqueueing the same id again must not make a second job. */
  readonly id: string
  /** The login as the request gave it. */
  readonly login: string
  /** What `mail.locale` picked for the request, if anything. */
  readonly locale: string | null
}

/** The "password changed" notice of a reset that succeeded. */
export interface ChangedNoticeJob {
  readonly kind: 'changed-notice'
  /** Unique per reset: enqueueing the same id again must not make a second job. */
  readonly id: string
  readonly userId: string
  readonly locale: string | null
  /** When the password was changed, in milliseconds since the epoch. */
  readonly changedAt: number
}

/** What the plugin hands to a durable queue. Plain JSON: it crosses processes. */
export type DurableJob = LinkRequestJob | ChangedNoticeJob

/**
 * The `producer` option: a durable queue the plugin hands each job to before it replies, such as
 * `bullmqProducer()` from `fastify-reset-password/bullmq`. `enqueue` resolves once the job is stored;
 * a rejection answers send-link with 503 FST_RESET_PASSWORD_UNAVAILABLE.
 */
export interface Producer {
  enqueue (job: DurableJob): Promise<void>
}
