import { setTimeout as sleep } from 'node:timers/promises'
import { config } from '../config.js'
import { load } from '../load.js'
import { httpTarget, loadOf, measureAll, measurement, type Measurement, type Target } from '../measure.js'
import { benchFile, startChild, type Child } from '../processes.js'
import { completeShare, cpuRatio, extraFigure, ratio, type Figure, type ScenarioResult } from '../report.js'
import { existingEmail, rotating } from '../seed/users.js'
import { baselineServer, sendLinkServer } from './servers.js'

export const title = 'scenario 4: send-link with nodemailer delivering to an SMTP sink in another process (SQLite)'

// The pooled transport: connections kept open, and the queue's concurrency to keep them busy
// (8 and 32 delivered the most per second here; 2 and 8 about half as many, 4 and 16 a little fewer).
const POOL_CONNECTIONS = Number(process.env['BENCH_SMTP_POOL_SIZE'] ?? 8)
const QUEUE_CONCURRENCY = Number(process.env['BENCH_SMTP_QUEUE'] ?? 32)
// The flood of the SMTP runs, and of the baseline they are compared with: half the usual duration,
// as the backlog then takes longer than that to deliver.
const FLOOD_SECONDS = config.duration / 2

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

function smtpTarget (name: string, env: Record<string, string | number>): Target {
  return {
    name,
    async measure (run): Promise<Measurement> {
      const sink = await startChild(benchFile('servers/smtp-sink.ts'))
      const served = await sendLinkServer('sqlite', () => rotating(config.users, existingEmail), {
        env: { BENCH_MAIL: 'smtp', BENCH_SMTP_PORT: sink.port as number, ...env }
      })()
      try {
        const spec = { ...loadOf(served), seconds: FLOOD_SECONDS }
        if (config.warmup > 0) {
          await load({ ...spec, seconds: config.warmup })
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

export async function run (): Promise<ScenarioResult> {
  const session = 'default (URL, pool of 4)'
  const pooled = 'pooled'
  const measurements = await measureAll([
    httpTarget('baseline', baselineServer('sqlite', () => rotating(config.users, existingEmail)), { seconds: FLOOD_SECONDS }),
    // The plugin's default: a transport URL, which the plugin pools with as many connections as
    // the queue runs deliveries (4).
    smtpTarget(session, {}),
    smtpTarget(pooled, { BENCH_SMTP_POOL: 1, BENCH_SMTP_CONNECTIONS: POOL_CONNECTIONS, BENCH_QUEUE_CONCURRENCY: QUEUE_CONCURRENCY })
  ])
  const delivered = (target: string): Figure => completeShare(measurements, target, 'delivered', 'accepted', 'mails received by the sink / send-link 200s counted by the server')
  return {
    measurements,
    figures: [
      ratio(measurements, session, 'baseline', { min: 0.4 }),
      cpuRatio(measurements, session, 'baseline'),
      extraFigure(measurements, session, 'mailsPerSecond', 'mails delivered/s', '/s'),
      extraFigure(measurements, session, 'lagSeconds', 'delivery lag after the load', 's'),
      delivered(session),
      ratio(measurements, pooled, 'baseline'),
      extraFigure(measurements, pooled, 'mailsPerSecond', 'mails delivered/s', '/s'),
      extraFigure(measurements, pooled, 'lagSeconds', 'delivery lag after the load', 's'),
      delivered(pooled)
    ]
  }
}
