/** One deadline of a {@link DeadlineQueue}: settle it when the work it bounds is done. */
export interface Deadline {
  settle (): void
}

interface Entry extends Deadline {
  readonly due: number
  readonly expire: () => void
  settled: boolean
}

// Settled entries are dropped from the front in batches: copying the array on every call would cost
// more than the timers this replaces.
const COMPACT_AFTER = 1024

/**
 * Deadlines that all last `ms`, so they fall due in the order they were set: one timer, armed for
 * the oldest unsettled one, serves them all. A setTimeout and a clearTimeout per store call (two per
 * send-link) cost more CPU than the in-memory stores they guarded.
 */
export class DeadlineQueue {
  readonly #ms: number
  readonly #now: () => number
  #entries: Entry[] = []
  #head = 0
  #timer: NodeJS.Timeout | undefined
  // Unsettled deadlines. The timer keeps the process alive only while there are some, as a timer per call did.
  #waiting = 0

  constructor (ms: number, now: () => number = () => performance.now()) {
    this.#ms = ms
    this.#now = now
  }

  /** Calls `expire` once `ms` from now, unless the deadline is settled first. */
  add (expire: () => void): Deadline {
    const entry: Entry = {
      due: this.#now() + this.#ms,
      expire,
      settled: false,
      settle: () => {
        if (entry.settled) return
        entry.settled = true
        if (--this.#waiting === 0) this.#timer?.unref()
      }
    }
    this.#entries.push(entry)
    this.#waiting++
    if (this.#timer === undefined) this.#arm(this.#ms)
    else this.#timer.ref()
    return entry
  }

  #arm (delay: number): void {
    // Armed only for an unsettled deadline, so referenced until settle() finds none left.
    this.#timer = setTimeout(() => { this.#fire() }, Math.max(1, Math.ceil(delay)))
  }

  #fire (): void {
    this.#timer = undefined
    const now = this.#now()
    let next: Entry | undefined
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head] as Entry
      if (!entry.settled && entry.due > now) {
        next = entry
        break
      }
      this.#head++
      if (!entry.settled) {
        entry.settle()
        entry.expire()
      }
    }
    if (this.#head >= COMPACT_AFTER || this.#head === this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head)
      this.#head = 0
    }
    if (next !== undefined) this.#arm(next.due - now)
  }
}
