import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { runBench, type Result, type Written } from './helpers/bench.js'
import { openRedis } from './helpers/redis.js'

// Each benchmark scenario, shrunk to a fraction of a second and a few dozen users, must start and
// produce figures. The scenarios run as their own processes (`bench/run.ts <name>`, see helpers/bench.ts).

// Every scenario and both compare runs at once took 70 to 112 s on the machines of 2026-11-30 and
// 12-01 (the slowest an AMD host, this file alone), too close to tap's 120 s.
t.setTimeout(300_000)

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// Each scenario and the targets it must measure.
const TARGETS = {
  'send-link': ['baseline', 'send-link', 'send-link unknown', 'send-link rate-limited', 'send-link existing, then unknown', 'send-link existing, then existing'],
  'send-code': ['send-link', 'send-code', 'send-code unknown'],
  smtp: ['baseline', 'default (URL, pool of 4)', 'pooled'],
  durable: ['baseline', 'send-link durable'],
  reset: ['reset', 'bare hash', 'reset cheap-hash', 'bare cheap hash'],
  postgres: ['baseline pg', 'send-link pg', 'send-link rate-limited pg', 'reset pg', 'bare hash', 'reset cheap-hash pg', 'bare cheap hash'],
  peer: ['send-link', 'better-auth'],
  memory: ['send-link'],
  wakeup: ['spin 30 us, client sleeping', 'spin 30 us, client polling', 'spin 60 us, client sleeping', 'spin 60 us, client polling']
} as const
type Scenario = keyof typeof TARGETS
const SCENARIOS = Object.keys(TARGETS) as Scenario[]
const PEER_INSTALLED = existsSync(join(ROOT, 'bench/peers/node_modules/better-auth/package.json'))

function runScenario (name: string, results: string): Promise<Result> {
  return runBench(['bench/run.ts', name], results)
}

const results = await mkdtemp(join(tmpdir(), 'fastify-reset-password-bench-smoke-'))
t.teardown(async () => { await rm(results, { recursive: true, force: true }) })

// The durable scenario's queue lives in Redis: without it (outside CI) that scenario is skipped.
const redis = await openRedis(t)
const skipped: Partial<Record<Scenario, string>> = {
  ...(PEER_INSTALLED ? {} : { peer: 'bench/peers is not installed; npm run bench:peer installs it' }),
  ...(redis === null ? { durable: 'Redis is not reachable (see above)' } : {})
}

// Started together, checked one by one: in sequence they would take the better part of a minute.
const runs = new Map(SCENARIOS
  .filter((name) => skipped[name] === undefined)
  .map((name) => [name, runScenario(name, join(results, name))]))

for (const name of SCENARIOS) {
  const run = runs.get(name)
  if (run === undefined) {
    t.pass(`the ${name} benchmark`, { skip: skipped[name] })
    continue
  }
  t.test(`the ${name} benchmark starts and measures every target`, async (t) => {
    const { code, output } = await run
    t.equal(code, 0, 'it exits with 0', { output })
    const written = JSON.parse(await readFile(join(results, name, `${name}.json`), 'utf8')) as Written
    t.ok(written.measurements.length > 0, 'it measured something')
    for (const m of written.measurements) t.ok(Number.isFinite(m.rps) && m.rps >= 0, `${m.target}: ${m.rps}/s`)
    t.ok(written.measurements.some((m) => m.rps > 0), 'some target answered')
    t.same([...new Set(written.measurements.map((m) => m.target))].sort(), [...TARGETS[name]].sort(), 'it measured each of its targets')
    // Every mail delivered (smtp), every stored job done (durable): the drains wait for all of them.
    for (const f of written.figures.filter((f) => f.name.endsWith(' / accepted'))) t.equal(f.value, 1, `${f.name} = 1`)
    t.match(output, /== \S+: .*\n.*req\/s/, 'it printed its table')
  })
}

// HEAD's lib/ against the working tree's: two pairs of servers, each server started from its own
// build and measured in its pair's round. (In CI the working tree is HEAD; locally it may differ, which is what it is for.)
const comparing = runBench(['bench/compare.ts', 'HEAD', 'send-link'], join(results, 'compare'))

t.test("the compare benchmark runs a revision's lib/ beside the working tree's, pair by pair", async (t) => {
  const { code, output } = await comparing
  t.equal(code, 0, 'it exits with 0', { output })
  const written = JSON.parse(await readFile(join(results, 'compare', 'compare.json'), 'utf8')) as Written
  const targets = [...new Set(written.measurements.map((m) => m.target))]
  t.equal(targets.length, 2, 'it measured two versions', { targets })
  t.ok(targets.includes('working tree'), 'one is the working tree')
  t.ok(targets.some((target) => target.startsWith('HEAD (')), 'the other is the revision, named with its commit')
  t.equal(written.measurements.length, 4, 'each in each of the two pairs')
  t.ok(written.measurements.every((m) => m.requests > 0), 'every phase was answered', { measurements: written.measurements, output })
  t.match(output, /pairs in which the working tree took less CPU per request = \d of 2/, 'it counted the pairs')
  t.match(output, /sign test, two-sided/, 'and tested them')
})

// On SQLite: each server resets users of its own copy. (The PostgreSQL target shares the postgres scenario's table, which runs meanwhile.)
// A second of warm-up per server, and phases of half a second: with no warm-up, started beside every
// scenario above on an AMD host, a cold reset server answered nothing in one of its quarter-second phases.
const comparingResets = runBench(['bench/compare.ts', 'HEAD', 'reset-cheap'], join(results, 'compare-reset'), { BENCH_WARMUP: '1', BENCH_PHASE: '0.5' })

t.test('the compare benchmark compares reset-password too, with a cheap hash', async (t) => {
  const { code, output } = await comparingResets
  t.equal(code, 0, 'it exits with 0', { output })
  const written = JSON.parse(await readFile(join(results, 'compare-reset', 'compare.json'), 'utf8')) as Written
  t.equal(new Set(written.measurements.map((m) => m.target)).size, 2, 'it measured two versions')
  t.equal(written.measurements.length, 4, 'each in each of the two pairs')
  t.ok(written.measurements.every((m) => m.requests > 0), 'every phase was answered', { measurements: written.measurements, output })
  t.match(output, /reset-password with a cheap hash \(SQLite\)/, 'it named what it compared')
})

// The first run installs node@24 and a better-sqlite3 for it under bench/results/node/, which a fresh clone has not.
const onNode24 = runBench(['bench/run.ts', 'send-link'], join(results, 'node-24'), { BENCH_NODE: '24' })

t.test('with BENCH_NODE=24 a benchmark runs on Node 24, its servers too', async (t) => {
  const { code, output } = await onNode24
  t.equal(code, 0, 'it exits with 0', { output })
  t.match(output, /^Node v24\.\d+\.\d+: /m, 'it names the Node it runs on')
  const written = JSON.parse(await readFile(join(results, 'node-24', 'send-link.json'), 'utf8')) as Written
  t.match(written.machine.node, /^v24\./, 'and records it')
  // A server on Node 20 could not have opened SQLite with the better-sqlite3 installed for 24.
  t.ok(written.measurements.every((m) => m.requests > 0), 'every target answered, on SQLite')
})

for (const database of ['sqlite', 'postgres']) {
  t.test(`the lookup benchmark times every kind of lookup on ${database}, with no server`, async (t) => {
    const { code, output } = await runBench(['bench/lookup.ts', database], join(results, 'lookup'))
    t.equal(code, 0, 'it exits with 0', { output })
    const { figures } = JSON.parse(await readFile(join(results, 'lookup', `lookup-${database}.json`), 'utf8')) as { figures: Record<string, number> }
    t.same(Object.keys(figures), [
      'the bare route\'s statement', 'the plugin\'s statement, existing', 'the plugin\'s statement, unknown',
      'the bare statement through Kysely', 'findByLogin, existing', 'findByLogin, unknown'
    ], 'it writes a figure for each kind')
    t.ok(Object.values(figures).every((value) => value > 0), 'and each is a time', { figures })
  })
}

t.test('the lookup benchmark names the databases it takes', async (t) => {
  const { code, output } = await runBench(['bench/lookup.ts', 'mysql'], join(results, 'lookup-bad'))
  t.equal(code, 2, 'it exits with 2')
  t.match(output, /unknown database mysql; choose sqlite or postgres/, 'and says what it takes')
})

t.test('BENCH_NODE takes a major version from 22 on', async (t) => {
  const { code, output } = await runBench(['bench/run.ts', 'send-link'], join(results, 'node-bad'), { BENCH_NODE: '18' })
  t.equal(code, 2, 'it exits with 2')
  t.match(output, /BENCH_NODE must be a major version from 22 on, such as 24, got "18"/, 'and says what it takes')
})

t.test('the compare benchmark refuses a revision that names no commit, and says how to call it', async (t) => {
  const { code, output } = await runBench(['bench/compare.ts', 'no-such-revision-here'], join(results, 'compare-bad'))
  t.equal(code, 2, 'it exits with 2')
  t.match(output, /no-such-revision-here names no commit/, 'it names the revision')
  t.match(output, /usage: npm run bench:compare -- <revision> \[target\]/, 'and shows the usage')
})
