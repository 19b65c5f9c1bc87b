import { LRUCache } from 'lru-cache'
import { KEY_PREFIX, type SharedStore } from './shared-store.js'

interface Entry {
  count: number
  /** When the key is forgotten, on the plugin's clock: as in Redis, at exactly its time to live. */
  readonly expiresAt: number
}

/**
 * The store of a single instance: at most `capacity` keys, the least recently used forgotten
 * first, so a flood of distinct keys cannot grow memory without bound.
 */
export function memoryStore (now: () => number, capacity = 10_000): SharedStore {
  const cache = new LRUCache<string, Entry>({ max: capacity })
  const live = (key: string): Entry | undefined => {
    const entry = cache.get(KEY_PREFIX + key)
    return entry !== undefined && now() < entry.expiresAt ? entry : undefined
  }
  return {
    shared: false,
    async hit (key, windowMs) {
      const entry = live(key)
      if (entry !== undefined) return ++entry.count
      cache.set(KEY_PREFIX + key, { count: 1, expiresAt: now() + windowMs })
      return 1
    },
    async mark (key, ttlMs) {
      cache.set(KEY_PREFIX + key, { count: 1, expiresAt: now() + ttlMs })
    },
    async has (key) {
      return live(key) !== undefined
    },
    async delete (key) {
      cache.delete(KEY_PREFIX + key)
    }
  }
}
