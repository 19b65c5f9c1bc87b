import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { openBullmq } from './helpers/bullmq.js'
import { startSmtpSink, type SmtpSink } from './helpers/smtp.js'

const APP = fileURLToPath(new URL('./fixtures/crash-app.ts', import.meta.url))
// Requests per run, one per user, so that each mail names the request it answers.
const BURST = 40
const LANES = 4
// How long the restarted app gets to deliver what the dead one accepted, before a mail counts as lost.
const RECOVERY_DEADLINE = 30_000

interface App {
  readonly child: ChildProcess
  readonly port: number
}

async function start (env: Record<string, string>): Promise<App> {
  // Untracked by tap's coverage, as in multi-instance.test.ts: a SIGKILLed process writes none, and
  // test/durable.test.ts covers the same code in-process.
  const untracked = { NODE_OPTIONS: '', _TAPJS_PROCESSINFO_COVERAGE_: '0' }
  const child = fork(APP, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...untracked, ...env } })
  const [message] = await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => { throw new Error(`test/fixtures/crash-app.ts exited with ${String(code)} before listening`) })
  ]) as [{ port: number }]
  return { child, port: message.port }
}

async function stop ({ child }: App): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.send('stop')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** Sends one request per user of `users`; SIGKILLs the app once `killAfter` got their 200. Returns the users whose request got one. */
async function burst (app: App, users: readonly number[], killAfter: number): Promise<Set<number>> {
  const accepted = new Set<number>()
  const todo = [...users]
  let killed = false
  const lane = async (): Promise<void> => {
    for (let i = todo.shift(); i !== undefined && !killed; i = todo.shift()) {
      const status = await fetch(`http://127.0.0.1:${app.port}/api/send-reset-password-link`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: `user${i}` })
      }).then((res) => res.status, () => 0) // 0: the connection died with the app
      if (status !== 200) continue
      accepted.add(i)
      if (accepted.size >= killAfter && !killed) {
        killed = true
        app.child.kill('SIGKILL')
      }
    }
  }
  await Promise.all(Array.from({ length: LANES }, lane))
  if (app.child.signalCode === null) await once(app.child, 'exit')
  return accepted
}

/** Mails per user index. */
function tally (sink: SmtpSink): Map<number, number> {
  const counts = new Map<number, number>()
  for (const mail of sink.mails) {
    const i = Number(/^user(\d+)@/.exec(mail.to[0] ?? '')?.[1])
    counts.set(i, (counts.get(i) ?? 0) + 1)
  }
  return counts
}

interface Outcome { readonly accepted: number, readonly lost: number, readonly duplicates: number }

/**
 * `runs` crashes in a row: a burst, a SIGKILL at a random moment of it, a restart. The restarted app
 * serves the next run's burst, so that R runs cost R + 1 starts (each takes seconds on a busy machine).
 * Each run asks for other users, so each mail says which run and request it answers.
 */
async function crashRuns (t: Test, mode: 'durable' | 'in-process', runs: number): Promise<Outcome[] | null> {
  const q = await openBullmq(t)
  if (q === null) return null
  const sink = await startSmtpSink(t)
  const dir = await mkdtemp(join(tmpdir(), 'fastify-reset-password-crash-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const env = {
    MODE: mode,
    DATABASE: join(dir, 'users.sqlite'),
    USERS: String(runs * BURST),
    SMTP_URL: sink.url,
    REDIS_HOST: q.connection.host,
    REDIS_PORT: String(q.connection.port),
    BULL_PREFIX: q.prefix
  }
  let app = await start(env)
  t.teardown(async () => { await stop(app) })
  const outcomes: Outcome[] = []
  for (let run = 0; run < runs; run++) {
    const users = Array.from({ length: BURST }, (_, k) => run * BURST + k)
    // A random moment: after 1 to BURST - 1 replies, with mail of the earlier ones still being sent.
    const killAfter = 1 + Math.floor(Math.random() * (BURST - 1))
    const accepted = await burst(app, users, killAfter)
    app = await start(env)
    const delivered = (): number => [...accepted].filter((i) => (tally(sink).get(i) ?? 0) > 0).length
    // In-process, nothing can come after the crash but a message the sink was still parsing.
    const deadline = Date.now() + (mode === 'durable' ? RECOVERY_DEADLINE : 500)
    while (delivered() < accepted.size && Date.now() < deadline) await sleep(50)
    // Jobs run again after the crash may still be finishing: let them, so that duplicates are counted.
    await sleep(1000)
    const counts = tally(sink)
    const duplicates = users.reduce((sum, i) => sum + Math.max(0, (counts.get(i) ?? 0) - 1), 0)
    const outcome = { accepted: accepted.size, lost: accepted.size - delivered(), duplicates }
    t.comment(`${mode} run ${run + 1}: killed after ${killAfter} replies; ${outcome.accepted} got 200, ${outcome.lost} of them lost their mail, ${duplicates} duplicate mail(s)`)
    outcomes.push(outcome)
  }
  return outcomes
}

const sum = (outcomes: Outcome[], key: keyof Outcome): number => outcomes.reduce((total, o) => total + o[key], 0)

// Eight app starts under tsx; on a loaded machine each takes seconds.
t.setTimeout(600_000)

t.test('durable mode: after a SIGKILL at a random moment of a burst and a restart, every request that got 200 gets its mail', async (t) => {
  const outcomes = await crashRuns(t, 'durable', 4)
  if (outcomes === null) return
  for (const [run, outcome] of outcomes.entries()) t.equal(outcome.lost, 0, `run ${run + 1}: no request that got 200 lost its mail`)
  const withDuplicates = outcomes.filter((o) => o.duplicates > 0).length
  t.comment(`durable: ${sum(outcomes, 'accepted')} got 200, ${sum(outcomes, 'lost')} lost; duplicates in ${withDuplicates} of ${outcomes.length} runs (${sum(outcomes, 'duplicates')} mails)`)
})

t.test('in-process mode: the same crash loses what the queue held; the loss is reported, not failed', async (t) => {
  const outcomes = await crashRuns(t, 'in-process', 3)
  if (outcomes === null) return
  t.equal(outcomes.length, 3)
  t.comment(`in-process: ${sum(outcomes, 'accepted')} got 200, ${sum(outcomes, 'lost')} of them lost their mail (${(100 * sum(outcomes, 'lost') / Math.max(1, sum(outcomes, 'accepted'))).toFixed(0)} %)`)
})
