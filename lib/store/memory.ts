import { LRUCache } from 'lru-cache'
import { KEY_PREFIX, type SharedStore } from './shared-store.js'

interface Entry { count: number }

/**
 * The store of a single instance: at most `capacity` keys, the least recently used forgotten
 * first, so a flood of distinct keys cannot grow memory without bound.
 */
export function memoryStore (now: () => number, capacity = 10_000): SharedStore {
  const cache = new LRUCache<string, Entry>({ max: capacity, ttlAutopurge: false, ttlResolution: 0, perf: { now } })
  return {
    shared: false,
    async hit (key, windowMs) {
      const entry = cache.get(KEY_PREFIX + key)
      if (entry !== undefined) return ++entry.count
      cache.set(KEY_PREFIX + key, { count: 1 }, { ttl: windowMs })
      return 1
    },
    async mark (key, ttlMs) {
      cache.set(KEY_PREFIX + key, { count: 1 }, { ttl: ttlMs })
    },
    async has (key) {
      return cache.has(KEY_PREFIX + key)
    },
    async delete (key) {
      cache.delete(KEY_PREFIX + key)
    }
  }
}
