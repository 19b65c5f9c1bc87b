import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import type { ResetPasswordOptions } from '../../lib/index.js'
import { bullmqProducer, bullmqWorker } from '../../lib/bullmq/index.js'
import { envString } from './ipc.js'

// Durable delivery for servers/plugin.ts (BENCH_DURABLE=1): a BullMQ producer the plugin stores
// each send-link request with, and a worker in the same process that looks the login up, signs and
// "sends" (the plugin's `deliver`), so that the server's CPU time covers all of a request's work.
// The queue's name is unique to the process: runs never share jobs, and its keys go when it stops.

/** Jobs so far: `stored` is every job Redis holds for the queue, whatever its state. */
export interface JobCounts {
  readonly stored: number
  readonly completed: number
  readonly failed: number
}

export interface Durable {
  readonly producer: ReturnType<typeof bullmqProducer>
  counts (): Promise<JobCounts>
  /** Stops the worker, deletes the queue's keys and closes the producer's connection. */
  close (): Promise<void>
}

export function durable (plugin: ResetPasswordOptions): Durable {
  const redis = new URL(envString('BENCH_REDIS_URL'))
  const connection = { host: redis.hostname, port: Number(redis.port || 6379) }
  const queue = { queueName: `bench-${process.pid}-${randomBytes(4).toString('hex')}`, prefix: 'bench' }
  // As docs/durable-delivery.md sets them up: one retry per command for the producer; the worker's
  // blocking connection retries forever.
  const producer = bullmqProducer({ ...queue, connection: { ...connection, maxRetriesPerRequest: 1 } })
  const worker = bullmqWorker({ ...queue, connection, plugin })
  const done = { completed: 0, failed: 0 }
  worker.worker.on('completed', () => { done.completed++ })
  worker.worker.on('failed', () => { done.failed++ })
  return {
    producer,
    async counts () {
      // Every state, completed ones included: they are kept (keepCompleted), so this counts each stored request once.
      const counts = await producer.queue.getJobCounts()
      return { stored: Object.values(counts).reduce((sum, n) => sum + n, 0), ...done }
    },
    async close () {
      await worker.close()
      await producer.close()
      // Every key under the queue's name: the jobs, kept completed, and BullMQ's own (events, meta, ids).
      const client = new Redis(connection)
      const pattern = `${queue.prefix}:${queue.queueName}:*`
      let cursor = '0'
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
        if (keys.length > 0) await client.unlink(...keys)
        cursor = next
      } while (cursor !== '0')
      await client.quit()
    }
  }
}
