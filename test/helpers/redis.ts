import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Test } from 'tap'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const START = 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no ' +
  '--dir /var/lib/redis --logfile /var/log/redis/ci.log (or set REDIS_URL)'

/** A Redis server seen through a key prefix of one test: what the test writes, it alone reads and deletes. */
export interface TestRedis {
  readonly url: string
  /** Unique to the test; every key of its clients starts with it. */
  readonly prefix: string
  /** A client whose keys carry the prefix, closed in teardown. */
  client (): Redis
  /** The test's keys, prefix removed. */
  keys (): Promise<string[]>
}

/**
 * Redis for `t` under a fresh key prefix; in teardown the keys under it are deleted (never the
 * whole database) and every client is closed. When Redis cannot be reached the test fails under
 * CI; elsewhere it records a skip saying how to start Redis and returns null.
 *
 * @example
 * ```ts
 * const redis = await openRedis(t)
 * if (redis === null) return
 * await app.register(resetPassword, { ...options, rateLimit: { redis: redis.client() } })
 * ```
 */
export async function openRedis (t: Test): Promise<TestRedis | null> {
  const admin = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  try {
    await admin.connect()
  } catch (error) {
    /* c8 ignore start: runs only when Redis is down */
    admin.disconnect()
    const message = `Redis is not reachable at ${REDIS_URL} (${(error as Error).message}); start it with: ${START}`
    if (process.env.CI !== undefined && process.env.CI !== '') throw new Error(message, { cause: error })
    t.pass(message, { skip: true })
    return null
    /* c8 ignore stop */
  }
  const prefix = `test:fastify-reset-password:${process.pid}:${randomBytes(4).toString('hex')}:`
  const clients: Redis[] = []
  const keys = async (): Promise<string[]> => {
    const found: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      found.push(...batch)
      cursor = next
    } while (cursor !== '0')
    return found
  }
  t.teardown(async () => {
    for (const client of clients) client.disconnect()
    const found = await keys()
    if (found.length > 0) await admin.del(...found)
    await admin.quit()
  })
  return {
    url: REDIS_URL,
    prefix,
    client () {
      const client = new Redis(REDIS_URL, { keyPrefix: prefix, maxRetriesPerRequest: 1 })
      clients.push(client)
      return client
    },
    async keys () {
      return (await keys()).map(key => key.slice(prefix.length))
    }
  }
}
