import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { config } from './config.js'
import { load, type LoadSpec } from './load.js'
import { alternate, measurement, settle, type Kind, type Measurement } from './measure.js'
import { onRequestedNode } from './node.js'
import { benchFile, startChild, type Child } from './processes.js'
import { extraFigure, render, writeResult, type Figure } from './report.js'
import { rotatingClients } from './clients.js'
import { sqliteCopy } from './seed/sqlite.js'
import { existingEmail, existingEmailHalfOn, rotating, unknownEmail } from './seed/users.js'
import { SEND_LINK } from './scenarios/servers.js'
import { median } from './stats.js'

// `npm run bench:count`: the machine instructions a send-link request costs on SQLite, existing
// e-mails against unknown ones, counted by valgrind's callgrind in the server process (its threads
// included) rather than timed.
//
// Why: the timed figure (`send-link existing, then unknown`, scenario 3) is held to 3 %, and on this
// machine its control, the same method with existing e-mails in both kinds of phase, reads from 0.93
// to 1.17: CPU time per request moves with what the host does. An instruction count does not, and the
// run is the same whatever else the machine runs; both servers are counted at once.
//
// How: each server runs under callgrind, is warmed up with BENCH_COUNT_WARMUP requests of each kind
// (10,000: V8 optimises the path under callgrind as it does at full speed), then loaded in
// BENCH_COUNT_PHASES phases (16) of BENCH_COUNT_REQUESTS requests (4,000), the two kinds in turn,
// first, second, second, first, ...; after each phase it waits until the server is idle (so the work
// left after each reply counts for its kind) and has callgrind write the count so far and start again
// (`callgrind_control --dump`). Each count is split by where it ran (`callgrind_annotate`): the main
// thread's own work, before and after each reply, is the request path; its garbage collection and
// the GC's helper threads are the GC; V8's compilers on their threads are the rest. The request path
// of one kind moves by 1 to 3 % from phase to phase, most in the phases in which V8 compiled a
// function again (on the main thread it installs the code and leaves the old); a kind's figure is its
// median phase. The GC and the compilers run when the heap or V8's counters say, whichever kind was
// loaded then (one phase in four counted up to 30 % more for them): their figures are means, and
// move by more.
//
// Instructions are not time: a read that misses the cache costs one instruction. The timed figures
// of scenario 3 stay the ones for that; this one shows what the two paths execute.

const execute = promisify(execFile)

interface Counted {
  /** The target names of its two kinds. */
  readonly names: Readonly<Record<Kind, string>>
  readonly logins: Readonly<Record<Kind, () => string>>
  /** What its ratio of medians is held to. */
  readonly bounds?: Figure['target']
}

const SERVERS: readonly Counted[] = [
  {
    names: { first: 'send-link existing', second: 'send-link unknown' },
    logins: { first: rotating(config.users, existingEmail), second: rotating(config.users, unknownEmail) },
    bounds: { min: 0.97, max: 1.03 }
  },
  {
    // The control, as scenario 3's: what the method reads where there is no difference to find.
    names: { first: 'control: existing', second: 'control: existing, half further on' },
    logins: { first: rotating(config.users, existingEmail), second: rotating(config.users, existingEmailHalfOn(config.users)) }
  }
]

async function count ({ names, logins }: Counted): Promise<Measurement[]> {
  const folder = await mkdtemp(join(tmpdir(), 'fastify-reset-password-count-'))
  const copy = await sqliteCopy(config.users)
  const output = join(folder, 'callgrind.out')
  let child: Child | undefined
  try {
    // Starting Node under callgrind takes 20 to 30 s.
    child = await startChild(benchFile('servers/plugin.ts'), {
      env: { BENCH_DB: 'sqlite', BENCH_DB_FILE: copy.file },
      wrapper: ['valgrind', '--quiet', '--tool=callgrind', `--callgrind-out-file=${output}`, '--dump-line=no'],
      readyTimeout: 300_000
    })
    let kind: Kind = 'first'
    const spec: LoadSpec = { url: child.url + SEND_LINK, body: () => logins[kind](), headers: rotatingClients() }
    for (const warm of ['first', 'second'] as const) {
      kind = warm
      if (config.countWarmup > 0) await load({ ...spec, amount: config.countWarmup })
    }
    let dumps = 0
    const counted = async (server: Child): Promise<Parts> => {
      await settle(server)
      if (server.pid === undefined) throw new Error('the server has no process id')
      await execute('callgrind_control', ['--dump', String(server.pid)])
      const dump = `${output}.${++dumps}`
      const found = await parts(dump)
      await rm(dump)
      return found
    }
    await counted(child)
    const phases: Measurement[] = []
    for (let n = 0; n < config.countPhases; n++) {
      kind = alternate(n)
      const before = await child.stats()
      const started = performance.now()
      const result = await load({ ...spec, amount: config.countRequests })
      const counts = await counted(child)
      const after = await child.stats()
      const phase = measurement(names[kind], n + 1, result, before, after, performance.now() - started)
      const extra = Object.fromEntries(Object.entries(counts).map(([part, count]) => [part, count / result.requests]))
      phases.push({ ...phase, extra })
      console.error(`  ${names[kind]}, phase ${n + 1}: ${Math.round(extra['path'] ?? 0)} instructions a request on the request path, ${Math.round(extra['all'] ?? 0)} in all`)
    }
    return phases
  } finally {
    await child?.stop()
    await copy.remove()
    await rm(folder, { recursive: true, force: true })
  }
}

function mean (values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length
}

/** The second kind's instructions per request in `part` over the first's, each kind's phases taken together by `of`. */
function ratioOf (measurements: readonly Measurement[], names: Readonly<Record<Kind, string>>, part: keyof Parts, what: string, of: (values: readonly number[]) => number, bounds?: Figure['target']): Figure {
  const phases = (name: string): number[] => measurements.filter((m) => m.target === name).map((m) => m.extra?.[part] ?? Number.NaN)
  return {
    name: `${names.second} / ${names.first}, instructions per request: ${what}`,
    value: of(phases(names.second)) / of(phases(names.first)),
    unit: 'x',
    ...(bounds === undefined ? {} : { target: bounds }),
    how: `${part} instructions per request of each phase, ${what}, second over first`
  }
}

/** What one dump of callgrind counted, in instructions, split by where they ran. */
interface Parts {
  readonly all: number
  /** The main thread, less its garbage collection: the requests' own work, before and after each reply. */
  readonly path: number
  /** The main thread's garbage collection and the helper threads', V8's compilers left out. */
  readonly gc: number
  /** V8's compilers on their threads. */
  readonly compile: number
}

// Inclusive counts of the functions that split a dump: every thread but the main one starts in
// glibc's start_thread; V8's compilers run on them as jobs (TurboFan's task, on Node 22 and 24 also
// Maglev's and Sparkplug's); a collection on the main thread runs in Heap::CollectGarbage. The names
// are V8's from Node 20 to 24.
const THREADS = /\bstart_thread \[/
const MAIN_GC = /v8::internal::Heap::CollectGarbage\(/
const COMPILERS = [
  /OptimizingCompile(?:Dispatcher|TaskExecutor)::CompileTask::Run(?:Internal)?\(/,
  /MaglevConcurrentDispatcher::JobTask::Run\(/,
  /ConcurrentBaselineCompiler::JobDispatcher::Run\(/
] as const

async function parts (dump: string): Promise<Parts> {
  const text = await readFile(dump, 'utf8')
  const totals = /^(?:totals|summary): (\d+)/m.exec(text)
  if (totals === null) throw new Error(`callgrind wrote no totals into ${dump}`)
  const all = Number(totals[1])
  const { stdout } = await execute('callgrind_annotate', ['--inclusive=yes', '--threshold=100', dump], { maxBuffer: 64 * 1024 * 1024 })
  const lines = stdout.split('\n')
  // The first line naming the function is its inclusive count; a function never called counts 0.
  const inclusive = (name: RegExp): number => {
    const line = lines.find((l) => name.test(l))
    return line === undefined ? 0 : Number((/^\s*([\d,]+)/.exec(line)?.[1] ?? '0').replaceAll(',', ''))
  }
  const threads = inclusive(THREADS)
  const mainGc = inclusive(MAIN_GC)
  const compile = COMPILERS.reduce((sum, compiler) => sum + inclusive(compiler), 0)
  return { all, path: all - threads - mainGc, gc: mainGc + threads - compile, compile }
}

onRequestedNode()
try {
  await execute('valgrind', ['--version'])
} catch {
  console.error('valgrind is not installed (Debian: apt-get install valgrind); npm run bench:count runs the server under it')
  process.exit(2)
}
if (config.countPhases < 2 || config.countRequests < 1) {
  console.error('BENCH_COUNT_PHASES must be at least 2 and BENCH_COUNT_REQUESTS at least 1')
  process.exit(2)
}

console.log(`Node ${process.version}, under callgrind: ${config.countPhases} phases x ${config.countRequests} requests (after ${config.countWarmup} of each kind), ${config.connections} connections, ${config.users} users`)
const measurements = (await Promise.all(SERVERS.map(count))).flat()
const figures = SERVERS.flatMap(({ names, bounds }) => [
  { ...extraFigure(measurements, names.first, 'path', 'instructions per request on the request path, median phase', 'instructions'), digits: 0 },
  { ...extraFigure(measurements, names.second, 'path', 'instructions per request on the request path, median phase', 'instructions'), digits: 0 },
  ratioOf(measurements, names, 'path', 'the request path (the main thread, its GC left out), each kind\'s median phase', median, bounds),
  ratioOf(measurements, names, 'gc', 'garbage collection (the main thread\'s and its helpers\'), each kind\'s mean', mean),
  ratioOf(measurements, names, 'all', 'everything (recompiles in), each kind\'s mean', mean)
])
const title = 'send-link on SQLite, instructions per request by callgrind: existing against unknown e-mails, and the control'
const file = await writeResult('count', title, { measurements, figures })
console.log(`${render('count', title, { measurements, figures })}\n  (${file})`)
