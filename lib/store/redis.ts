import { KEY_PREFIX, type SharedStore } from './shared-store.js'

/** The commands of an ioredis client that the store uses. */
interface RedisCommands {
  eval (script: string, keys: number, ...args: Array<string | number>): Promise<unknown>
  set (key: string, value: string, mode: 'PX', ttl: number): Promise<unknown>
  exists (key: string): Promise<number>
  del (key: string): Promise<number>
}

// INCR and the expiry in one step: a client that dies between the two must not leave a count that never expires.
const HIT = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n"

/** The store shared by every instance that uses the same Redis (an ioredis client, which the app keeps and closes). */
export function redisStore (client: object): SharedStore {
  const redis = client as RedisCommands
  return {
    shared: true,
    async hit (key, windowMs) {
      return Number(await redis.eval(HIT, 1, KEY_PREFIX + key, windowMs))
    },
    async mark (key, ttlMs) {
      await redis.set(KEY_PREFIX + key, '1', 'PX', ttlMs)
    },
    async has (key) {
      return await redis.exists(KEY_PREFIX + key) === 1
    },
    async delete (key) {
      await redis.del(KEY_PREFIX + key)
    }
  }
}
