import { setTimeout as sleep } from 'node:timers/promises'
import { config } from '../config.js'
import { load } from '../load.js'
import { measurement, settle } from '../measure.js'
import type { ScenarioResult } from '../report.js'
import { existingEmail, rotating } from '../seed/users.js'
import { sendLinkServer } from './servers.js'

export const title = `scenario 8: server RSS around ${config.memoryRequests.toLocaleString('en-US')} send-link requests`

const MB = 1024 * 1024
const READINGS = 3
const READING_GAP = 250

interface Memory {
  readonly rss: number
  readonly heapUsed: number
  /** The JS heap V8 keeps committed, in use or not. */
  readonly heapTotal: number
  readonly external: number
  /** RSS of the process's own memory, and of mapped files (see bench/servers/ipc.ts); Linux only. */
  readonly anon?: number
  readonly file?: number
}

const parts = (memory: Memory): string => memory.anon === undefined || memory.file === undefined
  ? ''
  : `; anonymous ${(memory.anon / MB).toFixed(1)} MB, mapped files ${(memory.file / MB).toFixed(1)} MB`

// The requests come in this many parts, each followed by a GC and a reading: a leak grows every
// part by about the same, memory that fills once stops growing after the first ones.
const PARTS = 5

export async function run (): Promise<ScenarioResult> {
  const served = await sendLinkServer('sqlite', () => rotating(config.users, existingEmail), { execArgv: ['--expose-gc'] })()
  try {
    const spec = { url: served.child.url + served.path, body: served.body }
    const { rss: started } = await served.child.stats()
    // The warm-up compiles the hot paths, fills SQLite's page cache and lets V8 grow its young generation
    // to its size under load: growth that happens once, not per request. With 1 s of it the growth
    // after GC was 13.5 MB after 200,000 requests and the same after 400,000 (the JS heap in use
    // did not grow). 5 s did until store calls stopped keeping their results for two seconds
    // (lib/deadlines.ts): with less promoted to V8's old generation, the process's memory outside the
    // JS heap (the heap committed stayed at 57 MB) took the first 100,000 requests to reach its size,
    // 10 MB more, and then moved by 0.01 MB over the next 400,000. So the warm-up is as long as a part.
    if (config.warmup > 0) await load({ ...spec, amount: Math.round(config.memoryRequests / PARTS) })
    // Each reading waits until the server is idle: right after the load its last requests and their
    // mail jobs are still running, and a reading then counts them (up to 13 MB of live objects).
    // And it is the lowest RSS of three GCs a quarter of a second apart: what the process keeps,
    // without what V8 has yet to give back after a GC (its committed heap moved by up to 25 MB
    // between two readings while the heap in use did not grow). Each of them ends with V8's last-resort
    // collection (bench/servers/ipc.ts): before it, on Node 22 and 24 the young generation V8 had grown
    // under load (a heap committed of 157 MB, 22 in use) counted as growth, 10 to 26 MB of it.
    const reading = async (): Promise<Memory> => {
      await settle(served.child)
      let lowest: Memory | undefined
      for (let i = 0; i < READINGS; i++) {
        if (i > 0) await sleep(READING_GAP)
        const memory = await served.child.call<Memory>('gc')
        if (lowest === undefined || memory.rss < lowest.rss) lowest = memory
      }
      return lowest as Memory
    }
    const before = await reading()
    const statsBefore = await served.child.stats()
    const readings: Memory[] = []
    // The table's row is the first part's: the later ones start after a forced GC, whose CPU is not a request's.
    const result = await load({ ...spec, amount: Math.round(config.memoryRequests / PARTS) })
    const after = await served.child.stats()
    readings.push(await reading())
    for (let part = 1; part < PARTS; part++) {
      await load({ ...spec, amount: Math.round(config.memoryRequests / PARTS) })
      readings.push(await reading())
    }
    const afterGc = readings.at(-1) as Memory
    const first = readings[0] as Memory
    const how = 'server RSS (MB)'
    return {
      measurements: [measurement('send-link', 1, result, statsBefore, after, result.seconds * 1000)],
      figures: [
        { name: 'RSS at start', value: started / MB, unit: 'MB', how },
        { name: 'RSS after warm-up and GC (before)', value: before.rss / MB, unit: 'MB', how },
        { name: 'RSS right after the first part', value: after.rss / MB, unit: 'MB', how },
        { name: 'RSS after the requests and GC', value: afterGc.rss / MB, unit: 'MB', how },
        { name: 'growth after GC', value: (afterGc.rss - before.rss) / MB, unit: 'MB', target: { max: 5 }, how: 'RSS after GC - RSS before' },
        ...readings.map((reading, i) => ({
          name: `RSS after GC at ${(Math.round(config.memoryRequests / PARTS) * (i + 1)).toLocaleString('en-US')} requests (JS heap ${(reading.heapUsed / MB).toFixed(1)} MB in use, ${(reading.heapTotal / MB).toFixed(1)} MB committed${parts(reading)})`,
          value: reading.rss / MB,
          unit: 'MB',
          how: `RSS after GC; JS heap committed ${(reading.heapTotal / MB).toFixed(1)} MB, in use ${(reading.heapUsed / MB).toFixed(1)} MB`
        })),
        ...(before.anon === undefined || afterGc.anon === undefined
          ? []
          : [{ name: 'growth of anonymous memory after GC', value: (afterGc.anon - before.anon) / MB, unit: 'MB', how: 'RssAnon after GC - RssAnon before (/proc/self/status)' }]),
        { name: `growth after GC over the last ${PARTS - 1} parts`, value: (afterGc.rss - first.rss) / MB, unit: 'MB', how: 'RSS after GC, last reading - first reading' },
        // Which part grew: live JavaScript objects (a leak would show here) or memory V8 and the
        // allocators keep committed after a GC.
        { name: 'JS heap in use, before', value: before.heapUsed / MB, unit: 'MB', how: 'process.memoryUsage().heapUsed after GC' },
        { name: 'JS heap in use, after', value: afterGc.heapUsed / MB, unit: 'MB', how: 'process.memoryUsage().heapUsed after GC' },
        { name: 'JS heap committed, before', value: before.heapTotal / MB, unit: 'MB', how: 'process.memoryUsage().heapTotal after GC' },
        { name: 'JS heap committed, after', value: afterGc.heapTotal / MB, unit: 'MB', how: 'process.memoryUsage().heapTotal after GC' },
        { name: 'external (Buffers), after', value: afterGc.external / MB, unit: 'MB', how: 'process.memoryUsage().external after GC' }
      ]
    }
  } finally {
    await served.child.stop()
    await served.cleanup?.()
  }
}
