import Fastify from 'fastify'
import type { Queue, Worker } from 'bullmq'
import { expect, test } from 'tstyche'
import resetPassword, { type ChangedNoticeJob, type DurableJob, type LinkRequestJob, type Producer, type ResetPasswordOptions, type UserAdapter } from '../../lib/index.js'
import { bullmqProducer, bullmqWorker, type BullmqProducer, type BullmqWorker, type DurableQueueStats } from '../../lib/bullmq/index.js'

declare const users: UserAdapter

const options = { secret: 'a'.repeat(32), verificationUrl: 'https://frontend.example/reset-password/', users, mail: { transport: 'smtp://localhost', from: 'no-reply@example.com' } }
const connection = { host: '127.0.0.1', port: 6379 }

test('a BullMQ producer is a producer the plugin takes', () => {
  const producer = bullmqProducer({ connection, attempts: 5, retryDelay: 500, timeout: 1000, keepCompleted: 3600 })
  expect(producer).type.toBe<BullmqProducer>()
  expect(producer).type.toBeAssignableTo<Producer>()
  expect(producer.queue).type.toBe<Queue<DurableJob>>()
  expect(producer.stats()).type.toBe<Promise<DurableQueueStats>>()
  expect(Fastify().register).type.toBeCallableWith(resetPassword, { ...options, producer })
  expect(bullmqProducer).type.not.toBeCallableWith({ connection, attempts: '5' })
  expect(bullmqProducer).type.not.toBeCallableWith({ attempts: 5 })
})

test('any object with an enqueue method is a producer', () => {
  const producer: Producer = { enqueue: async (job) => { expect(job).type.toBe<DurableJob>() } }
  expect<ResetPasswordOptions>().type.toBeAssignableFrom({ ...options, producer })
  expect<ResetPasswordOptions>().type.not.toBeAssignableFrom({ ...options, producer: { enqueue: 'no' } })
})

test('a durable job is a link request or a changed-password notice, told apart by kind', () => {
  const job = {} as DurableJob
  if (job.kind === 'link-request') expect(job).type.toBe<LinkRequestJob>()
  else expect(job).type.toBe<ChangedNoticeJob>()
  expect<LinkRequestJob['locale']>().type.toBe<string | null>()
})

test('a worker is built from the plugin options, without a Fastify instance', () => {
  const plugin: ResetPasswordOptions = options
  const worker = bullmqWorker({ connection, plugin, worker: { lockDuration: 10_000 } })
  expect(worker).type.toBe<BullmqWorker>()
  expect(worker.worker).type.toBe<Worker<DurableJob>>()
  expect(worker.close()).type.toBe<Promise<void>>()
  worker.on('mailFailed', ({ error, attempts }) => {
    expect(error).type.toBe<Error>()
    expect(attempts).type.toBe<number>()
  })
  expect(bullmqWorker).type.not.toBeCallableWith({ connection })
  expect(bullmqWorker).type.not.toBeCallableWith({ connection, plugin, worker: { connection } })
})
