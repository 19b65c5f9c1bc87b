import { bounded } from '../store.js'
import type { SharedStore } from './shared-store.js'

/** `store` with every call bounded by `ms`: an ioredis client at its defaults retries a command for over a minute. */
export function boundedStore (store: SharedStore, ms: number): SharedStore {
  const name = 'the shared store'
  return {
    shared: store.shared,
    async hit (key, windowMs) { return await bounded(store.hit(key, windowMs), ms, name) },
    async mark (key, ttlMs) { await bounded(store.mark(key, ttlMs), ms, name) },
    async has (key) { return await bounded(store.has(key), ms, name) },
    async delete (key) { await bounded(store.delete(key), ms, name) }
  }
}
