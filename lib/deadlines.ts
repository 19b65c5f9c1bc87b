/** One deadline of a {@link DeadlineQueue}: settle it when the work it bounds is done. */
export interface Deadline {
  settle (): void
}

// A class, so that settle() is one method on the prototype and not a closure made per call.
class Entry implements Deadline {
  readonly due: number
  // Let go of when the deadline settles, not when the entry leaves the queue: it holds the caller's
  // reject, so the caller's promise and its result. Kept until the timeout passed, every store call's
  // result outlived two young-generation collections and was copied into the old one.
  #expire: (() => void) | undefined
  readonly #onSettle: () => void

  constructor (due: number, expire: () => void, onSettle: () => void) {
    this.due = due
    this.#expire = expire
    this.#onSettle = onSettle
  }

  get settled (): boolean {
    return this.#expire === undefined
  }

  settle (): void {
    if (this.#expire === undefined) return
    this.#expire = undefined
    this.#onSettle()
  }

  /** Settles the deadline and calls expire, unless it was settled already. */
  expire (): void {
    const expire = this.#expire
    if (expire === undefined) return
    this.settle()
    expire()
  }
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
  readonly #settled = (): void => {
    if (--this.#waiting === 0) this.#timer?.unref()
  }

  constructor (ms: number, now: () => number = () => performance.now()) {
    this.#ms = ms
    this.#now = now
  }

  /** Calls `expire` once `ms` from now, unless the deadline is settled first. */
  add (expire: () => void): Deadline {
    // The work settles in about the order it starts, so the front is usually settled already.
    while (this.#head < this.#entries.length && (this.#entries[this.#head] as Entry).settled) this.#head++
    this.#compact()
    const entry = new Entry(this.#now() + this.#ms, expire, this.#settled)
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
      entry.expire()
    }
    this.#compact()
    if (next !== undefined) this.#arm(next.due - now)
  }

  #compact (): void {
    if (this.#head === this.#entries.length) {
      // Emptied in place: under load this is most calls, and a new array for each would be garbage.
      this.#entries.length = 0
      this.#head = 0
    } else if (this.#head >= COMPACT_AFTER) {
      this.#entries = this.#entries.slice(this.#head)
      this.#head = 0
    }
  }
}
