import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { config } from '../config.js'
import { load } from '../load.js'
import { httpTarget, loadOf, measureAll, measurement, settle, type Measurement, type Target } from '../measure.js'
import type { Child } from '../processes.js'
import { completeShare, cpuRatio, extraFigure, ratio, type ScenarioResult } from '../report.js'
import { existingEmail, rotating } from '../seed/users.js'
import type { JobCounts } from '../servers/durable.js'
import { baselineServer, sendLinkServer } from './servers.js'

export const title = 'send-link with durable delivery (BullMQ producer, worker in the server process) vs the baseline (SQLite)'

// In durable mode send-link stores { id, login, locale } in Redis and replies; the lookup, the link
// and the mail move to the worker. The worker runs in the server's process here, and the
// measurement lasts until it has done every job the load stored, so that the CPU per request is
// that of a whole request, reply and mail, as in the in-process mode.

async function reachable (url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  try {
    await client.connect()
    await client.ping()
  } catch (err) {
    throw new Error(`Redis is not reachable at ${url} (${(err as Error).message}): start it, or set REDIS_URL`)
  } finally {
    client.disconnect()
  }
}

/** Waits until the worker finished (or failed) every job stored since `from`, or the drain timeout passed. */
async function drained (server: Child, from: JobCounts): Promise<JobCounts> {
  const deadline = Date.now() + config.drainTimeout * 1000
  for (;;) {
    const now = await server.call<JobCounts>('jobs')
    if (now.completed + now.failed - from.completed - from.failed >= now.stored - from.stored || Date.now() > deadline) return now
    await sleep(100)
  }
}

function durableTarget (name: string): Target {
  const start = sendLinkServer('sqlite', () => rotating(config.users, existingEmail), { env: { BENCH_DURABLE: 1, BENCH_REDIS_URL: config.redisUrl } })
  return {
    name,
    async measure (run): Promise<Measurement> {
      const served = await start()
      try {
        const spec = loadOf(served)
        if (config.warmup > 0) {
          await load({ ...spec, seconds: config.warmup })
          await drained(served.child, await served.child.call<JobCounts>('jobs'))
        }
        await settle(served.child)
        const jobs = await served.child.call<JobCounts>('jobs')
        const before = await served.child.stats()
        const started = performance.now()
        const result = await load({ ...spec, seconds: config.duration })
        const ended = performance.now()
        // Requests still in flight when the load stopped are stored shortly after.
        await sleep(200)
        const done = await drained(served.child, jobs)
        const drainedAt = performance.now()
        const after = await served.child.stats()
        return {
          // Server CPU through the drain: the worker's lookups and mails of every request loaded.
          ...measurement(name, run, result, before, after, drainedAt - started),
          extra: {
            accepted: done.stored - jobs.stored,
            completed: done.completed - jobs.completed,
            failedJobs: done.failed - jobs.failed,
            drainSeconds: Math.max(0, drainedAt - ended - 200) / 1000
          }
        }
      } finally {
        await served.child.stop()
        await served.cleanup?.()
      }
    }
  }
}

export async function run (): Promise<ScenarioResult> {
  await reachable(config.redisUrl)
  const durable = 'send-link durable'
  const measurements = await measureAll([
    httpTarget('baseline', baselineServer('sqlite', () => rotating(config.users, existingEmail))),
    durableTarget(durable)
  ])
  return {
    measurements,
    figures: [
      ratio(measurements, durable, 'baseline', { min: 0.6 }),
      cpuRatio(measurements, durable, 'baseline'),
      extraFigure(measurements, durable, 'drainSeconds', 'worker still busy after the load', 's'),
      completeShare(measurements, durable, 'completed', 'accepted', 'jobs the worker completed / jobs stored during the load')
    ]
  }
}
