/**
 * Remembers which keys were let through in the last `interval` ms, in memory, for at most
 * `capacity` keys (the oldest are forgotten first, so a flood of distinct keys cannot grow it).
 */
export class Throttle {
  readonly #seen = new Map<string, number>()
  readonly #interval: number
  readonly #capacity: number
  readonly #now: () => number

  constructor (interval: number, capacity: number, now: () => number) {
    this.#interval = interval
    this.#capacity = capacity
    this.#now = now
  }

  /** Whether `key` may pass now; if so, it is counted. */
  allow (key: string): boolean {
    const now = this.#now()
    const last = this.#seen.get(key)
    if (last !== undefined && now - last < this.#interval) return false
    // Re-inserted so that Map order stays oldest-first.
    this.#seen.delete(key)
    this.#seen.set(key, now)
    if (this.#seen.size > this.#capacity) this.#seen.delete(this.#seen.keys().next().value as string)
    return true
  }
}
