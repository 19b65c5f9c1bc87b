import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { DeadlineQueue } from '../lib/deadlines.js'
import { bounded, fromStore } from '../lib/store.js'

const MS = 30

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
