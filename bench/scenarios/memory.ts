import { config } from '../config.js'
import { load } from '../load.js'
import { measurement } from '../measure.js'
import type { ScenarioResult } from '../report.js'
import { existingEmail, rotating } from '../seed/users.js'
import { sendLinkServer } from './servers.js'

export const title = `scenario 8: server RSS around ${config.memoryRequests.toLocaleString('en-US')} send-link requests`

const MB = 1024 * 1024
const MEMORY_WARMUP = 5

interface Memory {
  readonly rss: number
  readonly heapUsed: number
  readonly external: number
}

export async function run (): Promise<ScenarioResult> {
  const served = await sendLinkServer('sqlite', () => rotating(config.users, existingEmail), { execArgv: ['--expose-gc'] })()
  try {
    const spec = { url: served.child.url + served.path, body: served.body }
    const { rss: started } = await served.child.stats()
    // The warm-up compiles the hot paths, fills SQLite's page cache and lets V8 grow its young generation
    // to its size under load: growth that happens once, not per request. With 1 s of it the growth
    // after GC was 13.5 MB after 200,000 requests and the same after 400,000 (the JS heap in use
    // did not grow); after 5 s it is what the requests themselves add.
    if (config.warmup > 0) await load({ ...spec, seconds: Math.max(config.warmup, MEMORY_WARMUP) })
    const before = await served.child.call<Memory>('gc')
    const statsBefore = await served.child.stats()
    const result = await load({ ...spec, amount: config.memoryRequests })
    const after = await served.child.stats()
    const afterGc = await served.child.call<Memory>('gc')
    const how = 'server RSS (MB)'
    return {
      measurements: [measurement('send-link', 1, result, statsBefore, after, result.seconds * 1000)],
      figures: [
        { name: 'RSS at start', value: started / MB, unit: 'MB', how },
        { name: 'RSS after warm-up and GC (before)', value: before.rss / MB, unit: 'MB', how },
        { name: 'RSS right after the requests', value: after.rss / MB, unit: 'MB', how },
        { name: 'RSS after the requests and GC', value: afterGc.rss / MB, unit: 'MB', how },
        { name: 'growth after GC', value: (afterGc.rss - before.rss) / MB, unit: 'MB', target: { max: 5 }, how: 'RSS after GC - RSS before' },
        // Which part grew: live JavaScript objects (a leak would show here) or memory V8 and the
        // allocators keep committed after a GC.
        { name: 'JS heap in use, before', value: before.heapUsed / MB, unit: 'MB', how: 'process.memoryUsage().heapUsed after GC' },
        { name: 'JS heap in use, after', value: afterGc.heapUsed / MB, unit: 'MB', how: 'process.memoryUsage().heapUsed after GC' },
        { name: 'external (Buffers), after', value: afterGc.external / MB, unit: 'MB', how: 'process.memoryUsage().external after GC' }
      ]
    }
  } finally {
    await served.child.stop()
    await served.cleanup?.()
  }
}
