import type { FastifyBaseLogger } from 'fastify'
import { ServiceUnavailableError, StoreTimeoutError } from './errors.js'

/**
 * Settles as `work` does, or rejects with FST_RESET_PASSWORD_STORE_TIMEOUT after `ms`, whatever the
 * store client's own retries and timeouts. A promise cannot be cancelled: the work goes on, its
 * late result is dropped and its late failure is caught here, so it never becomes an unhandled rejection.
 */
export async function bounded<T> (work: Promise<T>, ms: number, store: string): Promise<T> {
  work.catch(() => {})
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new StoreTimeoutError(store, ms)) }, ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

// A store that throws (down, timed out) answers one generic 503: never a 500, and the same for every login.
// The durable queue counts as a store: a request it did not take is not accepted.
export async function fromStore<T> (log: FastifyBaseLogger, timeout: number, query: () => Promise<T>, store = 'the user store'): Promise<T> {
  try {
    // An adapter that throws instead of rejecting is caught the same way.
    return await bounded((async () => await query())(), timeout, store)
  } catch (err) {
    log.error({ err }, `fastify-reset-password: ${store} failed`)
    throw new ServiceUnavailableError()
  }
}
