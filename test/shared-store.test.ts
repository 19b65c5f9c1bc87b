import t from 'tap'
import type { Test } from 'tap'
import { memoryStore } from '../lib/store/memory.js'
import { redisStore } from '../lib/store/redis.js'
import type { SharedStore } from '../lib/store/shared-store.js'
import { openRedis } from './helpers/redis.js'

const WINDOW = 1000

interface Subject {
  readonly store: SharedStore
  /** Lets `ms` pass: a fake clock in memory, real time in Redis (which forgets on its own clock). */
  readonly wait: (ms: number) => Promise<void>
}

function memory (): Subject {
  const clock = { now: Date.UTC(2026, 0, 1) }
  return { store: memoryStore(() => clock.now, 3), wait: async (ms) => { clock.now += ms } }
}

async function redis (t: Test): Promise<Subject | null> {
  const server = await openRedis(t)
  if (server === null) return null
  return { store: redisStore(server.client()), wait: async (ms) => { await new Promise((resolve) => setTimeout(resolve, ms)) } }
}

for (const [name, open] of [['memory', async () => memory()], ['redis', redis]] as const) {
  t.test(`${name}: a count grows with each hit and is forgotten once its window has passed`, async (t) => {
    const subject = await open(t)
    if (subject === null) return
    const { store, wait } = subject
    t.equal(await store.hit('a', WINDOW), 1)
    t.equal(await store.hit('a', WINDOW), 2)
    t.equal(await store.hit('b', WINDOW), 1, 'keys are counted apart')
    t.ok(await store.has('a'))
    await wait(WINDOW + 100)
    t.notOk(await store.has('a'))
    t.equal(await store.hit('a', WINDOW), 1, 'a new window starts at 1')
  })

  t.test(`${name}: a mark lasts its time to live and can be removed before`, async (t) => {
    const subject = await open(t)
    if (subject === null) return
    const { store, wait } = subject
    t.notOk(await store.has('m'))
    await store.mark('m', WINDOW)
    await store.mark('n', WINDOW)
    t.ok(await store.has('m'))
    await store.delete('m')
    t.notOk(await store.has('m'), 'deleted')
    await wait(WINDOW + 100)
    t.notOk(await store.has('n'), 'expired')
  })
}

t.test('the memory store forgets its least recently used keys beyond its capacity', async (t) => {
  const { store } = memory()
  for (const key of ['a', 'b', 'c', 'd']) await store.hit(key, WINDOW)
  t.notOk(await store.has('a'), 'the oldest went first')
  t.ok(await store.has('d'))
  t.equal(store.shared, false)
})

t.test('the Redis store is shared and writes only keys under the plugin prefix', async (t) => {
  const server = await openRedis(t)
  if (server === null) return
  const store = redisStore(server.client())
  await store.hit('x', WINDOW)
  t.equal(store.shared, true)
  t.same(await server.keys(), ['fastify-reset-password:x'])
})
