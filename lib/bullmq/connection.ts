import type { ConnectionOptions } from 'bullmq'

/** Where the jobs live: shared by the producer and the worker, which must agree on all three. */
export interface BullmqConnectionOptions {
  /** ioredis options or an ioredis client, as BullMQ takes them. */
  readonly connection: ConnectionOptions
  /** The BullMQ queue's name. Default 'fastify-reset-password'. */
  readonly queueName?: string
  /** BullMQ's key prefix. Default 'bull' (BullMQ's own). */
  readonly prefix?: string
}

export const DEFAULT_QUEUE_NAME = 'fastify-reset-password'
export const DEFAULT_PREFIX = 'bull'
