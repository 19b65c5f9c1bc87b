import t from 'tap'
import { Redis } from 'ioredis'
import type { Test } from 'tap'
import { memoryStore } from '../lib/store/memory.js'
import { redisStore } from '../lib/store/redis.js'
import { boundedStore } from '../lib/store/bounded.js'
import type { SharedStore } from '../lib/store/shared-store.js'
import { openRedis } from './helpers/redis.js'
import { startProxy } from './helpers/proxy.js'

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

t.test('a bounded store passes every call through, and gives up on each one that outlives its timeout', async (t) => {
  const server = await openRedis(t)
  if (server === null) return
  const target = new URL(server.url)
  const proxy = await startProxy(t, { host: target.hostname, port: Number(target.port) })
  const via = new URL(target)
  via.host = `127.0.0.1:${proxy.port}`
  const client = new Redis(via.href, { keyPrefix: server.prefix })
  t.teardown(() => { client.disconnect() })
  const store = boundedStore(redisStore(client), 200)
  t.equal(store.shared, true)
  t.equal(await store.hit('b', WINDOW), 1)
  await store.mark('m', WINDOW)
  t.ok(await store.has('m'))
  await store.delete('m')
  t.notOk(await store.has('m'))
  proxy.blackHole()
  const calls: Array<Promise<unknown>> = [store.hit('b', WINDOW), store.mark('m', WINDOW), store.has('m'), store.delete('m')]
  for (const call of calls) await t.rejects(call, { code: 'FST_RESET_PASSWORD_STORE_TIMEOUT', message: 'the shared store did not answer within 200 ms' })
  await proxy.up()
})
