import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { DeadlineQueue } from '../lib/deadlines.js'
import { bounded, fromStore } from '../lib/store.js'

const MS = 30

// A context made after the flag is set has gc(): how to collect on demand without starting tap's workers with --expose-gc.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

t.test('a deadline left unsettled expires once, about ms after it was set', async (t) => {
  const queue = new DeadlineQueue(MS)
  const expired: number[] = []
  const started = performance.now()
  queue.add(() => { expired.push(performance.now() - started) })
  await sleep(MS * 4)
  t.equal(expired.length, 1)
  t.ok((expired[0] as number) >= MS - 1, `expired after ${String(expired[0])} ms`)
})

t.test('a settled deadline never expires, and the ones after it still do, in the order they were set', async (t) => {
  const queue = new DeadlineQueue(MS)
  const expired: string[] = []
  const first = queue.add(() => { expired.push('first') })
  await sleep(5)
  queue.add(() => { expired.push('second') })
  await sleep(5)
  queue.add(() => { expired.push('third') })
  first.settle()
  await sleep(MS * 4)
  t.same(expired, ['second', 'third'])
})

t.test('thousands of settled deadlines are dropped, and one set after them still expires', async (t) => {
  const queue = new DeadlineQueue(MS)
  for (let i = 0; i < 5000; i++) queue.add(() => { t.fail('a settled deadline expired') }).settle()
  let expired = 0
  // Set while the settled ones wait in front of it: the timer armed for the first one must lead on to it.
  await sleep(MS / 2)
  queue.add(() => { expired++ })
  await sleep(MS * 4)
  t.equal(expired, 1)
})

t.test('deadlines settled out of order expire only if unsettled, past a batch of settled ones dropped at once', async (t) => {
  const queue = new DeadlineQueue(MS)
  const expired: number[] = []
  const deadlines = Array.from({ length: 2000 }, (_, i) => queue.add(() => { expired.push(i) }))
  for (const [i, deadline] of deadlines.entries()) if (i !== 1500 && i !== 1999) deadline.settle()
  // The 1,500 settled ones in front go when the next deadline is set.
  queue.add(() => { expired.push(2000) })
  await sleep(MS * 4)
  t.same(expired, [1500, 1999, 2000])
})

t.test('a settled deadline lets go of its expire callback, and what that holds, before the time is up', async (t) => {
  const queue = new DeadlineQueue(60_000)
  let result: WeakRef<object> | undefined
  const start = (): void => {
    const rows = { rows: ['a result a store call gave'] }
    result = new WeakRef(rows)
    queue.add(() => { t.fail(`expired with ${String(rows)}`) }).settle()
  }
  start()
  // A WeakRef keeps its target alive until the end of the job that made it.
  await sleep(1)
  gc()
  t.equal(result?.deref(), undefined)
})

t.test('a timer that fires before the next deadline is due arms itself again instead of expiring it', async (t) => {
  let now = 0
  const queue = new DeadlineQueue(MS, () => now)
  let expired = 0
  queue.add(() => { expired++ })
  // The clock says no time passed when the timer fires.
  await sleep(MS * 2)
  t.equal(expired, 0)
  now = MS
  await sleep(MS * 2)
  t.equal(expired, 1)
})

t.test('bounded settles as the work does, or rejects with the store timeout once the time is up', async (t) => {
  t.equal(await bounded(Promise.resolve(42), MS, 'the test store'), 42)
  await t.rejects(bounded(Promise.reject(new Error('down')), MS, 'the test store'), /down/)
  await t.rejects(bounded(new Promise(() => {}), MS, 'the test store'), { code: 'FST_RESET_PASSWORD_STORE_TIMEOUT' })
  // A failure after the timeout is swallowed: no unhandled rejection ends the test process.
  await t.rejects(bounded(sleep(MS * 2).then(() => { throw new Error('late') }), MS, 'the test store'), { code: 'FST_RESET_PASSWORD_STORE_TIMEOUT' })
  await sleep(MS * 2)
})

t.test('fromStore turns a store that throws, even synchronously, into the 503', async (t) => {
  const errors: unknown[] = []
  const log = { error: (entry: unknown) => { errors.push(entry) } } as never
  await t.rejects(fromStore(log, MS, () => { throw new Error('sync') }), { code: 'FST_RESET_PASSWORD_UNAVAILABLE' })
  await t.rejects(fromStore(log, MS, async () => { throw new Error('async') }), { code: 'FST_RESET_PASSWORD_UNAVAILABLE' })
  t.equal(await fromStore(log, MS, async () => 'row'), 'row')
  t.equal(errors.length, 2)
})
