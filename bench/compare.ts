import { commitOf } from './build.js'
import { config } from './config.js'
import { loadOf, measurement, phase, settle, type Measurement, type Served } from './measure.js'
import { load } from './load.js'
import { onRequestedNode } from './node.js'
import { cpuRatio, perRun, ratio, render, writeResult, type Figure } from './report.js'
import { seedPostgres } from './seed/postgres.js'
import { existingEmail, rotating, unknownEmail } from './seed/users.js'
import { RATE_LIMITED, resetServer, sendLinkServer, withClients } from './scenarios/servers.js'
import { median, medianInterval, signTest } from './stats.js'

// `npm run bench:compare -- <revision> [target]`: the plugin's lib/ as it is in the working tree
// against lib/ at a git revision, both run by the working tree's bench servers, on one target.
//
// Why not two `npm run bench` runs: on this shared machine one version's CPU per request moves by
// 10 to 40 % between fresh servers minutes apart, so medians of 3 runs cannot show a 5 % change.
// Here a server of each version runs at once and both are loaded in turn, BENCH_PHASE seconds each
// (0.5), for BENCH_ROUNDS rounds (10), the order flipping every round, each phase's CPU counted
// until its server is idle again: drift of the machine lands on both alike. That is done with
// BENCH_PAIRS pairs of fresh servers (6), which one starts first alternating, because a process
// has a cost of its own too (of one pair of servers with the same code, one cost 8.6 % more than
// the other, in every round). Each pair gives the median of its rounds' ratios; the figures are
// the median of those, an interval for it that assumes nothing of the noise, and a sign test: in
// how many pairs the working tree was cheaper, and how likely that is by chance.
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
  },
  // A cheap hash, as for scenario 5's overhead: the reset's own work, not scrypt's, is what is compared.
  'reset-cheap': {
    title: 'reset-password with a cheap hash (SQLite)',
    start: (revision) => resetServer('sqlite', 'cheap', { revision })
  },
  'reset-cheap-pg': {
    title: 'reset-password with a cheap hash (PostgreSQL; the CPU figures leave out the database\'s)',
    // Both servers reset users of the one table (seeded again as each starts): each spends the links of its own half.
    start: (revision) => resetServer('postgres', 'cheap', { revision, from: revision === undefined ? Math.floor(config.users / 2) : 0 })
  }
}

const WORKING_TREE = 'working tree'

function usage (problem: string): never {
  console.error(`${problem}\nusage: npm run bench:compare -- <revision> [target]\n  target: ${Object.keys(TARGETS).join(', ')} (default send-link)`)
  process.exit(2)
}

onRequestedNode()
const [revision, name = 'send-link', ...rest] = process.argv.slice(2)
if (revision === undefined) usage('no revision to compare with')
if (rest.length > 0) usage(`one revision and one target, not also ${rest.join(' ')}`)
const target = Object.hasOwn(TARGETS, name) ? TARGETS[name] : undefined
if (target === undefined) usage(`unknown target ${name}`)
if (config.pairs < 1 || config.rounds < 1) usage('BENCH_PAIRS and BENCH_ROUNDS must be at least 1')
const commit = await commitOf(revision).catch((err: Error) => usage(err.message))
const old = `${revision} (${commit.slice(0, 10)})`

console.log(`Node ${process.version}: ${config.pairs} pairs of fresh servers x ${config.rounds} rounds x 2 phases of ${config.phase} s (after ${config.warmup} s of warm-up each), ${config.connections} connections, ${config.users} users: lib/ of the ${WORKING_TREE} against lib/ at ${old}, ${target.title}`)
await target.prepare?.()
const versions = [[old, revision], [WORKING_TREE, undefined]] as const
const measurements: Measurement[] = []
for (let pair = 0; pair < config.pairs; pair++) {
  // Which server starts first, and is loaded first in a pair's first round, alternates too.
  const servers: Array<{ readonly label: string, readonly served: Served }> = []
  try {
    for (const [label, at] of pair % 2 === 0 ? versions : [...versions].reverse()) {
      const served = await target.start(at)().catch((err: Error) => {
        throw new Error(`the bench server did not start with lib/ ${at === undefined ? `of the ${WORKING_TREE}` : `at ${old}`} (${err.message}); ` +
          'the revision\'s lib/ must serve today\'s bench servers, its exports and options, with today\'s node_modules')
      })
      servers.push({ label, served })
    }
    for (const { served } of servers) {
      if (config.warmup > 0) await load({ ...loadOf(served), seconds: config.warmup })
      await settle(served.child)
    }
    for (let round = 0; round < config.rounds; round++) {
      const number = pair * config.rounds + round + 1
      for (const { label, served } of round % 2 === 0 ? servers : [...servers].reverse()) {
        const { result, before, after, elapsedMs } = await phase(served, loadOf(served), config.phase)
        measurements.push(measurement(label, number, result, before, after, elapsedMs))
      }
      const [a, b] = measurements.slice(-2) as [Measurement, Measurement]
      console.error(`  pair ${pair + 1}, round ${round + 1}: ${a.target} ${Math.round(a.cpuPerRequest)} us/req, ${b.target} ${Math.round(b.cpuPerRequest)} us/req`)
    }
  } finally {
    for (const { served } of servers) {
      await served.child.stop()
      await served.cleanup?.()
    }
  }
}
const figures = comparison(measurements)
const title = `lib/ of the ${WORKING_TREE} against ${old}: ${target.title}`
const file = await writeResult('compare', title, { measurements, figures })
console.log(`${render('compare', title, { measurements, figures })}\n  (${file})`)

function comparison (measurements: readonly Measurement[]): Figure[] {
  const cpu = cpuRatio(measurements, WORKING_TREE, old)
  const rounds = perRun(measurements, 'cpuPerRequest', (cost) => cost(old) / cost(WORKING_TREE))
  // One figure per pair of processes: rounds of one pair share what the two processes happened to
  // be (their JIT, their heap), so they are not independent, and the interval and test take pairs.
  const pairs = Array.from({ length: config.pairs }, (_, pair) => median(rounds.slice(pair * config.rounds, (pair + 1) * config.rounds)))
  const interval = medianInterval(pairs)
  const wins = pairs.filter((r) => r > 1).length
  const percent = `${(interval.confidence * 100).toFixed(1)} %`
  const how = 'order statistic of the pairs\' median CPU ratios (distribution-free interval of the median)'
  return [
    ratio(measurements, WORKING_TREE, old),
    { ...cpu, name: `${cpu.name} (above 1: the ${WORKING_TREE} is cheaper)` },
    { name: '  each pair of servers\' median', value: median(pairs), unit: 'x', runs: pairs, how: 'median of the rounds of each pair, then of the pairs' },
    { name: `  its ${percent} interval, low`, value: interval.low, unit: 'x', how },
    { name: `  its ${percent} interval, high`, value: interval.high, unit: 'x', how },
    { name: `pairs in which the ${WORKING_TREE} took less CPU per request`, value: wins, unit: `of ${pairs.length}`, digits: 0, how: 'count of pair medians above 1' },
    { name: 'sign test, two-sided: how likely as many by chance', value: signTest(wins, pairs.length), unit: 'p', how: 'exact binomial, p = 1/2' }
  ]
}
