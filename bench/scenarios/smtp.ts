import { setTimeout as sleep } from 'node:timers/promises'
import { config } from '../config.js'
import { load } from '../load.js'
import { measureAll, measurement, type Measurement, type Target } from '../measure.js'
import { benchFile, startChild, type Child } from '../processes.js'
import { type Figure, type ScenarioResult } from '../report.js'
import { median } from '../stats.js'
import { existingEmail, rotating } from '../seed/users.js'
import { sendLinkServer } from './servers.js'

export const title = 'scenario 4: send-link with nodemailer delivering to an SMTP sink in another process (SQLite)'

// Mails per send-link request of the one-session-per-mail run: enough to show its rate, few enough
// to be delivered in seconds at that rate.
const SESSION_MAILS = 200
// The pooled transport: connections kept open, and the queue's concurrency to keep them busy
// (8 and 32 delivered the most per second here; 2 and 8 about half as many, 4 and 16 a little fewer).
const POOL_CONNECTIONS = Number(process.env['BENCH_SMTP_POOL_SIZE'] ?? 8)
const QUEUE_CONCURRENCY = Number(process.env['BENCH_SMTP_QUEUE'] ?? 32)
// The flood of the pooled run: half the usual duration, as its backlog then takes longer than that to deliver.
const POOLED_SECONDS = config.duration / 2

interface Mail {
  readonly accepted: number
  readonly sent: number
  readonly failed: number
}

interface Received {
  readonly count: number
  readonly lastAt: number
}


/**
 * Waits until every mail the server queued reached the sink (or failed), or the drain timeout
 * passed; returns what the sink has and what the server counted.
 */
async function drained (sink: Child, server: Child): Promise<{ received: Received, mail: Mail }> {
  const deadline = Date.now() + config.drainTimeout * 1000
  for (;;) {
    const received = await sink.call<Received>('received')
    const mail = await server.call<Mail>('mail')
    if (received.count + mail.failed >= mail.accepted || Date.now() > deadline) return { received, mail }
    await sleep(100)
  }
}

/** `size`: a fixed number of requests, or seconds of load. */
function smtpTarget (name: string, env: Record<string, string | number>, size: { amount: number } | { seconds: number }): Target {
  return {
    name,
    async measure (run): Promise<Measurement> {
      const sink = await startChild(benchFile('servers/smtp-sink.ts'))
      const served = await sendLinkServer('sqlite', () => rotating(config.users, existingEmail), {
        env: { BENCH_MAIL: 'smtp', BENCH_SMTP_PORT: sink.port as number, ...env }
      })()
      try {
        const spec = { url: served.child.url + served.path, body: served.body, ...size }
        if ('seconds' in size && config.warmup > 0) {
          await load({ url: spec.url, body: spec.body, seconds: config.warmup })
          await drained(sink, served.child)
          await sink.call('reset')
          await served.child.call('resetMail')
        }
        const before = await served.child.stats()
        const startedAt = Date.now()
        const result = await load(spec)
        const endedAt = Date.now()
        const after = await served.child.stats()
        // Requests still in flight when the load stopped are answered (and counted) shortly after.
        await sleep(200)
        const { received, mail } = await drained(sink, served.child)
        return {
          ...measurement(name, run, result, before, after, endedAt - startedAt),
          extra: {
            accepted: mail.accepted,
            delivered: received.count,
            failedMails: mail.failed,
            mailsPerSecond: received.count / ((received.lastAt - startedAt) / 1000),
            lagSeconds: Math.max(0, received.lastAt - endedAt) / 1000
          }
        }
      } finally {
        await served.child.stop()
        await served.cleanup?.()
        await sink.stop()
      }
    }
  }
}

function figure (measurements: readonly Measurement[], target: string, key: string, name: string, unit: string, bounds?: Figure['target']): Figure {
  const runs = measurements.filter((m) => m.target === target).map((m) => m.extra?.[key] ?? Number.NaN)
  return { name: `${target}: ${name}`, value: median(runs), unit, runs, ...(bounds === undefined ? {} : { target: bounds }), how: `${key} per run, median` }
}

function deliveredShare (measurements: readonly Measurement[], target: string): Figure {
  const runs = measurements.filter((m) => m.target === target).map((m) => (m.extra?.['delivered'] ?? 0) / (m.extra?.['accepted'] ?? Number.NaN))
  return { name: `${target}: delivered / accepted`, value: Math.min(...runs), unit: 'x', runs, target: { min: 1 }, how: 'mails received by the sink / send-link 200s counted by the server, worst run' }
}

export async function run (): Promise<ScenarioResult> {
  const session = 'default (URL, pool of 4)'
  const pooled = 'pooled'
  const measurements = await measureAll([
    // The plugin's default: a transport URL, which the plugin pools with as many connections as
    // the queue runs deliveries (4). A fixed number of requests, so its backlog stays bounded.
    smtpTarget(session, {}, { amount: Math.min(SESSION_MAILS, config.users) }),
    smtpTarget(pooled, { BENCH_SMTP_POOL: 1, BENCH_SMTP_CONNECTIONS: POOL_CONNECTIONS, BENCH_QUEUE_CONCURRENCY: QUEUE_CONCURRENCY }, { seconds: POOLED_SECONDS })
  ])
  return {
    measurements,
    figures: [
      figure(measurements, session, 'mailsPerSecond', 'mails delivered/s', '/s'),
      deliveredShare(measurements, session),
      figure(measurements, pooled, 'mailsPerSecond', 'mails delivered/s', '/s'),
      figure(measurements, pooled, 'lagSeconds', 'delivery lag after the load', 's'),
      deliveredShare(measurements, pooled)
    ]
  }
}
