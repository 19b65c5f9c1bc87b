import type { FastifyBaseLogger } from 'fastify'
import { ServiceUnavailableError, StoreTimeoutError } from './errors.js'
import { DeadlineQueue } from './deadlines.js'

// One queue per timeout: in practice one, `storeTimeout`, shared by every instance of the plugin.
const deadlines = new Map<number, DeadlineQueue>()

/**
 * Settles as `work` does, or rejects with FST_RESET_PASSWORD_STORE_TIMEOUT after `ms`, whatever the
 * store client's own retries and timeouts. A promise cannot be cancelled: the work goes on, its
 * late result is dropped and its late failure is caught here, so it never becomes an unhandled rejection.
 */
export function bounded<T> (work: Promise<T>, ms: number, store: string): Promise<T> {
  // Not async, nor is fromStore: on send-link's path each async layer was one promise more per call.
  let queue = deadlines.get(ms)
  if (queue === undefined) deadlines.set(ms, queue = new DeadlineQueue(ms))
  const waiting = queue
  return new Promise<T>((resolve, reject) => {
    const deadline = waiting.add(() => { reject(new StoreTimeoutError(store, ms)) })
    work.then((value) => {
      deadline.settle()
      resolve(value)
    }, (err: unknown) => {
      deadline.settle()
      reject(err)
    })
  })
}

// A store that throws (down, timed out) answers one generic 503: never a 500, and the same for every login.
// The durable queue counts as a store: a request it did not take is not accepted.
export function fromStore<T> (log: FastifyBaseLogger, timeout: number, query: () => Promise<T>, store = 'the user store'): Promise<T> {
  let work: Promise<T>
  // An adapter that throws instead of rejecting is caught the same way, and one that returns a plain value works.
  try { work = Promise.resolve(query()) } catch (err) { work = Promise.reject(err) }
  return orUnavailable(log, bounded(work, timeout, store), store)
}

/** What `work` gives, or the 503 when it fails: for a store that bounds its own calls (the shared store). */
export async function orUnavailable<T> (log: FastifyBaseLogger, work: Promise<T>, store: string): Promise<T> {
  try {
    return await work
  } catch (err) {
    log.error({ err }, `fastify-reset-password: ${store} failed`)
    throw new ServiceUnavailableError()
  }
}
