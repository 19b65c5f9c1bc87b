import { UnrecoverableError, Worker, type Job, type WorkerOptions } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import type { ResetPasswordOptions } from '../options.js'
import { resolveOptions } from '../options.js'
import type { ResetPasswordEvents } from '../events.js'
import type { DurableJob } from '../producer.js'
import { createJobRunner } from '../mail/run-job.js'
import { isPermanent } from '../mail/queue.js'
import { DEFAULT_PREFIX, DEFAULT_QUEUE_NAME, type BullmqConnectionOptions } from './connection.js'
import { silentLogger } from './silent.js'

export interface BullmqWorkerOptions extends BullmqConnectionOptions {
  /**
   * The plugin's options; the same object works. The worker reads the users, the signer (`secret`
   * or `signer`), `verificationUrl`, `period`, `oneTimeUse`, `mail` or `deliver`, `now`, and runs
   * `queue.concurrency` jobs at once; the rest (routes, limits, `producer`) is ignored.
   */
  readonly plugin: ResetPasswordOptions
  /** Where the worker logs. Default: nowhere. */
  readonly logger?: FastifyBaseLogger
  /** More of BullMQ's worker options, e.g. `lockDuration` and `stalledInterval`. */
  readonly worker?: Omit<WorkerOptions, 'connection' | 'prefix' | 'concurrency' | 'autorun'>
}

/** A running worker: it takes jobs from Redis until closed. */
export interface BullmqWorker {
  /** The BullMQ worker itself. */
  readonly worker: Worker<DurableJob>
  /** The plugin's mail events (`linkCreated`, `mailSent`, `mailFailed`), for the mail this worker sends. */
  on<K extends keyof ResetPasswordEvents> (event: K, listener: (...args: ResetPasswordEvents[K]) => unknown): this
  off<K extends keyof ResetPasswordEvents> (event: K, listener: (...args: ResetPasswordEvents[K]) => unknown): this
  /** Lets the running jobs finish, stops, and closes the transport it created; it returns even while Redis is down. */
  close (): Promise<void>
}

/**
 * The worker that sends what `bullmqProducer` queues: it looks the login up, signs the link and sends
 * the mail, and a job ends only when its mail is handed to the SMTP server. A failed job is retried
 * with backoff and then left in BullMQ's failed set with its reason; a 5xx SMTP reply fails it at once.
 * Run it in the app or in a process of its own: it needs no Fastify instance.
 *
 * @example
 * ```ts
 * import { bullmqWorker } from 'fastify-reset-password/bullmq'
 *
 * const worker = bullmqWorker({ connection: { host: '127.0.0.1', port: 6379 }, plugin: options })
 * process.on('SIGTERM', () => { void worker.close() })
 * ```
 */
export function bullmqWorker (options: BullmqWorkerOptions): BullmqWorker {
  const log = options.logger ?? silentLogger
  const settings = resolveOptions(options.plugin)
  const runner = createJobRunner(settings, log)
  const running = new Set<Promise<void>>()
  const perform = async (job: Job<DurableJob>): Promise<void> => {
    const number = job.attemptsMade + 1
    try {
      // BullMQ reads a job added without `attempts` as attempts: 0, and runs it once.
      await runner.run(job.data, { number, last: number >= (job.opts.attempts as number) })
    } catch (err) {
      if (isPermanent(err)) throw new UnrecoverableError((err as Error).message)
      throw err
    }
  }
  const worker = new Worker<DurableJob>(options.queueName ?? DEFAULT_QUEUE_NAME, async (job) => {
    const run = perform(job)
    running.add(run)
    try {
      await run
    } finally {
      running.delete(run)
    }
  }, {
    ...options.worker,
    connection: options.connection,
    prefix: options.prefix ?? DEFAULT_PREFIX,
    concurrency: settings.queue.concurrency
  })
  // Without a listener, an 'error' event (Redis unreachable) would throw and end the process.
  worker.on('error', (err) => { log.error({ err }, 'fastify-reset-password: the BullMQ worker lost Redis') })
  worker.on('failed', (_job, err) => {
    log.warn({ err }, 'fastify-reset-password: a mail job failed; BullMQ retries it, or keeps it in its failed set')
  })
  const handle: BullmqWorker = {
    worker,
    on (event, listener) { runner.events.on(event, listener as never); return handle },
    off (event, listener) { runner.events.off(event, listener as never); return handle },
    async close () {
      // BullMQ's own graceful close waits for Redis, forever when it is down: the running jobs are
      // awaited here instead, then the worker closes at once. A job it takes in between is left
      // locked, and runs again once its lock expires (at least once, never lost).
      await Promise.allSettled(running)
      await worker.close(true)
      runner.close()
    }
  }
  return handle
}
