import { commitOf } from './build.js'
import { config } from './config.js'
import { loadOf, measurement, phase, settle, type Measurement, type Served } from './measure.js'
import { load } from './load.js'
import { cpuRatio, perRun, ratio, render, writeResult, type Figure } from './report.js'
import { seedPostgres } from './seed/postgres.js'
import { existingEmail, rotating, unknownEmail } from './seed/users.js'
import { RATE_LIMITED, sendLinkServer, withClients } from './scenarios/servers.js'
import { medianInterval, signTest } from './stats.js'

// `npm run bench:compare -- <revision> [target]`: the plugin's lib/ as it is in the working tree
// against lib/ at a git revision, both run by the working tree's bench servers, on one target.
//
// Why not two `npm run bench` runs: on this shared machine one version's CPU per request moves by
// 10 to 40 % between fresh servers minutes apart, so medians of 3 runs cannot show a 5 % change.
// Here both versions' servers run at once and are loaded in turn, BENCH_PHASE seconds each (0.5),
// for BENCH_ROUNDS rounds (60), the order flipping every round, each phase's CPU counted until its
// server is idle again. Drift of the machine lands on both alike; what is left is each round's
// ratio, and the figures are their median, an interval for it that assumes nothing of the noise,
// and a sign test: in how many rounds the working tree was cheaper, and how likely that is by chance.
//
// The revision's lib/ must still serve the current bench servers (its exports and options), and
// run with the dependencies installed now.

type Start = (revision: string | undefined) => () => Promise<Served>

const existing = (): (() => string) => rotating(config.users, existingEmail)
const unknown = (): (() => string) => rotating(config.users, unknownEmail)

const TARGETS: Readonly<Record<string, { readonly title: string, readonly start: Start, readonly prepare?: () => Promise<void> }>> = {
  'send-link': {
    title: 'send-link for existing e-mails (SQLite)',
    start: (revision) => withClients(sendLinkServer('sqlite', existing, { revision }))
  },
  'send-link-unknown': {
    title: 'send-link for unknown e-mails (SQLite)',
    start: (revision) => withClients(sendLinkServer('sqlite', unknown, { revision }))
  },
  'send-link-rate-limited': {
    title: 'send-link for existing e-mails, rate limits at their defaults (SQLite)',
    start: (revision) => withClients(sendLinkServer('sqlite', existing, { ...RATE_LIMITED, revision }))
  },
  'send-link-pg': {
    // PostgreSQL's own processes do part of the work, outside the server's CPU time: a change of
    // the queries shows in the rate, not in the CPU figures.
    title: 'send-link for existing e-mails (PostgreSQL; the CPU figures leave out the database\'s)',
    start: (revision) => withClients(sendLinkServer('postgres', existing, { revision })),
    prepare: async () => { await seedPostgres(config.pgUrl, config.users) }
  }
}

const WORKING_TREE = 'working tree'

function usage (problem: string): never {
  console.error(`${problem}\nusage: npm run bench:compare -- <revision> [target]\n  target: ${Object.keys(TARGETS).join(', ')} (default send-link)`)
  process.exit(2)
}

const [revision, name = 'send-link', ...rest] = process.argv.slice(2)
if (revision === undefined) usage('no revision to compare with')
if (rest.length > 0) usage(`one revision and one target, not also ${rest.join(' ')}`)
const target = Object.hasOwn(TARGETS, name) ? TARGETS[name] : undefined
if (target === undefined) usage(`unknown target ${name}`)
const commit = await commitOf(revision).catch((err: Error) => usage(err.message))
const old = `${revision} (${commit.slice(0, 10)})`

console.log(`${config.rounds} rounds x 2 phases of ${config.phase} s (after ${config.warmup} s of warm-up each), ${config.connections} connections, ${config.users} users: lib/ of the ${WORKING_TREE} against lib/ at ${old}, ${target.title}`)
await target.prepare?.()
const servers: Array<{ readonly label: string, readonly served: Served }> = []
try {
  for (const [label, at] of [[old, revision], [WORKING_TREE, undefined]] as const) {
    servers.push({ label, served: await target.start(at)() })
  }
  const measurements: Measurement[] = []
  for (const { served } of servers) {
    if (config.warmup > 0) await load({ ...loadOf(served), seconds: config.warmup })
    await settle(served.child)
  }
  for (let round = 0; round < config.rounds; round++) {
    for (const { label, served } of round % 2 === 0 ? servers : [...servers].reverse()) {
      const { result, before, after, elapsedMs } = await phase(served, loadOf(served), config.phase)
      measurements.push(measurement(label, round + 1, result, before, after, elapsedMs))
    }
    const [a, b] = measurements.slice(-2) as [Measurement, Measurement]
    console.error(`  round ${round + 1}: ${a.target} ${Math.round(a.cpuPerRequest)} us/req, ${b.target} ${Math.round(b.cpuPerRequest)} us/req`)
  }
  const figures = comparison(measurements)
  const title = `lib/ of the ${WORKING_TREE} against ${old}: ${target.title}`
  const file = await writeResult('compare', title, { measurements, figures })
  console.log(`${render('compare', title, { measurements, figures })}\n  (${file})`)
} finally {
  for (const { served } of servers) {
    await served.child.stop()
    await served.cleanup?.()
  }
}

function comparison (measurements: readonly Measurement[]): Figure[] {
  const cpu = cpuRatio(measurements, WORKING_TREE, old)
  const ratios = perRun(measurements, 'cpuPerRequest', (cost) => cost(old) / cost(WORKING_TREE))
  const interval = medianInterval(ratios)
  const wins = ratios.filter((r) => r > 1).length
  const percent = `${(interval.confidence * 100).toFixed(1)} %`
  return [
    ratio(measurements, WORKING_TREE, old),
    { ...cpu, name: `${cpu.name} (above 1: the ${WORKING_TREE} is cheaper)` },
    { name: `  its ${percent} interval, low`, value: interval.low, unit: 'x', how: 'order statistic of the per-round CPU ratios (distribution-free interval of the median)' },
    { name: `  its ${percent} interval, high`, value: interval.high, unit: 'x', how: 'order statistic of the per-round CPU ratios (distribution-free interval of the median)' },
    { name: `rounds in which the ${WORKING_TREE} took less CPU per request`, value: wins, unit: `of ${ratios.length}`, digits: 0, how: 'count of per-round CPU ratios above 1' },
    { name: 'sign test, two-sided: how likely as many by chance', value: signTest(wins, ratios.length), unit: 'p', how: 'exact binomial, p = 1/2' }
  ]
}
