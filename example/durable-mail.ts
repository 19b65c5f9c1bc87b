import { Queue, Worker, type ConnectionOptions } from 'bullmq'
import type { Transporter } from 'nodemailer'
import type { DeliverFunction, MailMessage } from '../lib/index.js'

/**
 * Durable mail through BullMQ (Redis): `deliver` hands each message to a Redis-backed queue, and
 * a worker (in this process or another) sends it with nodemailer, retrying with backoff. Once
 * `deliver` has resolved, the job is in Redis, so a crash of the app loses nothing; the plugin
 * calls `deliver` from its in-process queue right after the reply (an app that must not lose even
 * that moment would call its own queue before replying, at the cost of timing that differs
 * between known and unknown logins).
 *
 * @example
 * ```ts
 * const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null }
 * const mail = bullmqMail({ queue: 'reset-mail', prefix: 'bull', connection })
 * await app.register(resetPassword, { ...options, deliver: mail.deliver })
 * const worker = mailWorker({ queue: 'reset-mail', prefix: 'bull', connection, transporter: nodemailer.createTransport(process.env.SMTP_URL) })
 * ```
 */
export interface DurableMailOptions {
  readonly queue: string
  readonly connection: ConnectionOptions
  /** BullMQ's key prefix, e.g. 'bull' (BullMQ's own default). */
  readonly prefix: string
}

export interface DurableMail {
  readonly deliver: DeliverFunction
  close (): Promise<void>
}

interface MailJobData {
  readonly message: MailMessage
}

export function bullmqMail (options: DurableMailOptions): DurableMail {
  const queue = new Queue<MailJobData>(options.queue, { connection: options.connection, prefix: options.prefix })
  return {
    deliver: async (message) => {
      // The job holds the whole message, so the worker needs neither the database nor the signer.
      await queue.add('mail', { message }, { attempts: 8, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true })
    },
    close: async () => { await queue.close() }
  }
}

export function mailWorker (options: DurableMailOptions & { readonly transporter: Transporter }): Worker<MailJobData> {
  return new Worker<MailJobData>(options.queue, async (job) => {
    await options.transporter.sendMail({ ...job.data.message })
  }, { connection: options.connection, prefix: options.prefix, concurrency: 4 })
}
