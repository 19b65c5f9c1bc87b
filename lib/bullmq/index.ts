export { bullmqProducer, type BullmqProducer, type BullmqProducerOptions, type DurableQueueStats } from './producer.js'
export { bullmqWorker, type BullmqWorker, type BullmqWorkerOptions } from './worker.js'
export type { BullmqConnectionOptions } from './connection.js'
export type { DurableJob, LinkRequestJob, ChangedNoticeJob, Producer } from '../producer.js'
