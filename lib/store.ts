import type { FastifyBaseLogger } from 'fastify'
import { ServiceUnavailableError } from './errors.js'

// A store that throws (down, timed out) answers one generic 503: never a 500, and the same for every login.
// The durable queue counts as a store: a request it did not take is not accepted.
export async function fromStore<T> (log: FastifyBaseLogger, query: () => Promise<T>, store = 'the user store'): Promise<T> {
  try {
    return await query()
  } catch (err) {
    log.error({ err }, `fastify-reset-password: ${store} failed`)
    throw new ServiceUnavailableError()
  }
}
