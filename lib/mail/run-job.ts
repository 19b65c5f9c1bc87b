import type { FastifyBaseLogger } from 'fastify'
import type { Settings } from '../options.js'
import type { DurableJob } from '../producer.js'
import { createLinks } from '../link.js'
import { ResetPasswordEmitter } from '../events.js'
import { createComposer } from './compose.js'
import { createLinkRequests, eligible, type Post } from './link-requests.js'
import { createSender } from './sender.js'
import { isPermanent } from './queue.js'
import { fromStore } from '../store.js'
import { accountCap } from '../rate-limit.js'

/** Which attempt of a job this is, as the durable queue counts them. */
export interface Attempt {
  /** 1 for the first. */
  readonly number: number
  /** Whether the queue gives up if this one fails. */
  readonly last: boolean
}

/** Runs durable jobs: what a worker does with each, whatever queue engine it pulls them from. */
export interface JobRunner {
  readonly events: ResetPasswordEmitter
  /**
   * Looks up, signs and sends what `job` asks for, and resolves once the mail is handed over; rejects
   * when the user store or the delivery failed, so that the queue retries the job.
   */
  run (job: DurableJob, attempt: Attempt): Promise<void>
  /** Closes the SMTP transport if the runner created it. */
  close (): void
}

export function createJobRunner (settings: Settings, log: FastifyBaseLogger): JobRunner {
  const events = new ResetPasswordEmitter(log)
  const links = createLinks(settings.signer, settings.verificationUrl, settings.period, settings.now)
  const sender = createSender(settings.deliver, settings.mail?.transport, settings.queue.concurrency)
  const compose = createComposer(settings.mail, links)
  const requests = createLinkRequests({ users: settings.users, compose, events, log, storeTimeout: settings.storeTimeout, store: settings.store, cap: accountCap(settings.rateLimit) })

  return {
    events,
    async run (job, attempt) {
      // Delivery is awaited here, unlike in the in-process queue: the job must fail when its mail does.
      const post: Post = async (mail) => {
        const message = await mail.build()
        if (mail.rehearsal === true) return
        try {
          await sender.send(message, mail.user)
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err))
          const permanent = isPermanent(error)
          if (attempt.last || permanent) events.emit('mailFailed', { user: mail.user, kind: mail.kind, error, reason: permanent ? 'permanent' : 'exhausted', attempts: attempt.number })
          throw error
        }
        events.emit('mailSent', { user: mail.user, kind: mail.kind, message, attempts: attempt.number })
      }
      const locale = job.locale ?? undefined
      if (job.kind === 'link-request') {
        await requests.request(job.login, locale, post)
        return
      }
      const notice = compose.changed
      const user = await fromStore(log, settings.storeTimeout, () => settings.users.findById(job.userId))
      // Gone or deactivated since the reset: there is nobody to tell.
      if (notice === undefined || user === null || !eligible(user)) return
      await post({ kind: 'changed-notice', user, build: async () => await notice(user, new Date(job.changedAt), locale) })
    },
    close () {
      sender.close()
    }
  }
}
