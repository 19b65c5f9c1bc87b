import type { Test } from 'tap'
import { bullmqProducer, bullmqWorker, type BullmqProducer, type BullmqProducerOptions, type BullmqWorker, type BullmqWorkerOptions } from '../../lib/bullmq/index.js'
import { openRedis } from './redis.js'

/** BullMQ on the test Redis, under a key prefix of one test (deleted in teardown, with everything the test's queues wrote). */
export interface TestBullmq {
  /** ioredis options as the docs recommend for a producer: one retry per command, so nothing waits forever. */
  readonly connection: { readonly host: string, readonly port: number, readonly maxRetriesPerRequest: number }
  /** BullMQ's `prefix`: unique to the test. */
  readonly prefix: string
  /** A producer on the test's queue, closed in teardown. */
  producer (options?: Partial<BullmqProducerOptions>): BullmqProducer
  /** A worker on the test's queue, closed in teardown. */
  worker (options: Omit<BullmqWorkerOptions, 'connection'>): BullmqWorker
}

export async function openBullmq (t: Test): Promise<TestBullmq | null> {
  const redis = await openRedis(t)
  if (redis === null) return null
  const url = new URL(redis.url)
  const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: 1 }
  // BullMQ's keys are `${prefix}:${queue}:…`, so they fall under the test's key prefix and go with it.
  const prefix = redis.prefix.slice(0, -1)
  const open: Array<{ close: () => Promise<void> }> = []
  // Registered after openRedis: teardowns run last-in first-out, so these close before the keys go.
  t.teardown(async () => { for (const one of open.reverse()) await one.close() })
  return {
    connection,
    prefix,
    producer (options = {}) {
      const producer = bullmqProducer({ connection, prefix, ...options })
      open.push(producer)
      return producer
    },
    worker (options) {
      // A worker's blocking connection retries forever by BullMQ's design: it takes no maxRetriesPerRequest.
      const worker = bullmqWorker({ connection: { host: connection.host, port: connection.port }, prefix, ...options })
      open.push(worker)
      return worker
    }
  }
}
