import type { FastifyBaseLogger } from 'fastify'
import { ServiceUnavailableError } from './errors.js'

// A store that throws (down, timed out) answers one generic 503: never a 500, and the same for every login.
export async function fromStore<T> (log: FastifyBaseLogger, query: () => Promise<T>): Promise<T> {
  try {
    return await query()
  } catch (err) {
    log.error({ err }, 'fastify-reset-password: the user store failed')
    throw new ServiceUnavailableError()
  }
}
