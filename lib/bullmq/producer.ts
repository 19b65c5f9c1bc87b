import { Queue } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'
import type { DurableJob, Producer } from '../producer.js'
import { InvalidOptionError } from '../errors.js'
import { DEFAULT_PREFIX, DEFAULT_QUEUE_NAME, type BullmqConnectionOptions } from './connection.js'
import { silentLogger } from './silent.js'

export interface BullmqProducerOptions extends BullmqConnectionOptions {
  /** Attempts per job, the first included. Default 8. */
  readonly attempts?: number
  /** Delay before the first retry in ms; doubles each retry, with jitter (BullMQ's exponential backoff). Default 1000. */
  readonly retryDelay?: number
  /**
   * Longest wait for Redis to store a job (or answer `stats()`), in ms: past it, send-link answers 503.
   * Default 2000. It bounds the wait whatever the client's own retry settings.
   */
  readonly timeout?: number
  /** Seconds a completed job is kept, so that its id still turns a repeated enqueue away. Default 86400. */
  readonly keepCompleted?: number
  /** Where Redis errors are logged. Default: nowhere. */
  readonly logger?: FastifyBaseLogger
}

/** The queue as a readiness probe sees it. */
export interface DurableQueueStats {
  /** Jobs waiting for a worker. */
  readonly waiting: number
  /** Jobs a worker is running. */
  readonly active: number
  /** Jobs waiting for a retry. */
  readonly delayed: number
  /** Jobs given up on: BullMQ's failed set, each with its reason. */
  readonly failed: number
  /** Milliseconds the oldest waiting job has waited; 0 when none waits. */
  readonly oldestWaitingAge: number
}

/** The `producer` option of the plugin, backed by a BullMQ queue. */
export interface BullmqProducer extends Producer {
  /** The BullMQ queue itself, e.g. for a dashboard or to retry failed jobs. */
  readonly queue: Queue<DurableJob>
  /** Counts for a readiness probe; rejects when Redis does not answer within `timeout`. */
  stats (): Promise<DurableQueueStats>
  /** Closes the queue's Redis connection (not a client the app passed in). */
  close (): Promise<void>
}

const DEFAULTS = { attempts: 8, retryDelay: 1000, timeout: 2000, keepCompleted: 86_400 }

function positiveInteger (name: keyof typeof DEFAULTS, value: unknown): number {
  if (value === undefined) return DEFAULTS[name]
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new InvalidOptionError(`bullmqProducer ${name}`, 'must be a positive integer')
  return value
}

async function within<T> (ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`fastify-reset-password: Redis did not answer within ${ms} ms`)) }, ms)
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * A producer for the plugin's `producer` option: each send-link request (and changed-password
 * notice) becomes a BullMQ job, stored before the reply, with the request's id as job id.
 *
 * @example
 * ```ts
 * import { bullmqProducer } from 'fastify-reset-password/bullmq'
 *
 * const producer = bullmqProducer({ connection: { host: '127.0.0.1', port: 6379 } })
 * await app.register(resetPassword, { ...options, producer })
 * app.addHook('onClose', async () => { await producer.close() })
 * ```
 */
export function bullmqProducer (options: BullmqProducerOptions): BullmqProducer {
  const attempts = positiveInteger('attempts', options.attempts)
  const retryDelay = positiveInteger('retryDelay', options.retryDelay)
  const timeout = positiveInteger('timeout', options.timeout)
  const keepCompleted = positiveInteger('keepCompleted', options.keepCompleted)
  const log = options.logger ?? silentLogger
  const queue = new Queue<DurableJob>(options.queueName ?? DEFAULT_QUEUE_NAME, {
    connection: options.connection,
    prefix: options.prefix ?? DEFAULT_PREFIX
  })
  // Without a listener, an 'error' event (Redis unreachable) would throw and end the process.
  queue.on('error', (err) => { log.error({ err }, 'fastify-reset-password: the BullMQ queue lost Redis') })
  return {
    queue,
    async enqueue (job) {
      await within(timeout, queue.add(job.kind, job, {
        // A second add with the same id is a no-op while the first job is kept: a retried enqueue makes one job.
        jobId: job.id,
        attempts,
        backoff: { type: 'exponential', delay: retryDelay, jitter: 0.5 },
        removeOnComplete: { age: keepCompleted },
        removeOnFail: false
      }))
    },
    async stats () {
      return await within(timeout, (async () => {
        // getJobCounts answers every type it is asked for.
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed')
        const [oldest] = await queue.getJobs(['waiting'], 0, 0, true)
        return {
          waiting: counts['waiting'] as number,
          active: counts['active'] as number,
          delayed: counts['delayed'] as number,
          failed: counts['failed'] as number,
          oldestWaitingAge: oldest === undefined ? 0 : Math.max(0, Date.now() - oldest.timestamp)
        }
      })())
    },
    async close () {
      await queue.close()
    }
  }
}
