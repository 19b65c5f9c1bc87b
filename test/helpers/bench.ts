import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

// Runs a benchmark command (`bench/run.ts <name>`, `bench/compare.ts`, `bench/count.ts`, `bench/lookup.ts`) as its own
// process, shrunk to a fraction of a second and a few dozen users, its figures written under
// `results`. The benchmarks are never imported by a test, so they stay outside tap's coverage; tap's
// process tracking wraps spawn() and puts its --import back into NODE_OPTIONS, so the command goes
// through `env -u`, which takes it out again.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const TAP_SETTINGS = /^(NODE_OPTIONS|NODE_V8_COVERAGE|TAP|_TAP)/

export interface Result {
  readonly code: number | null
  readonly output: string
}

/** What a benchmark writes into `<results>/<name>.json`, as far as the tests read it. */
export interface Written {
  readonly machine: { readonly node: string }
  readonly measurements: ReadonlyArray<{ readonly target: string, readonly rps: number, readonly requests: number, readonly failures: Readonly<Record<string, number>>, readonly extra?: Readonly<Record<string, number>> }>
  readonly figures: ReadonlyArray<{ readonly name: string, readonly value: number | null }>
}

function environment (results: string, more: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!TAP_SETTINGS.test(name)) env[name] = value
  }
  return {
    ...env,
    BENCH_RESULTS: results,
    BENCH_DURATION: '0.25',
    BENCH_WARMUP: '0',
    BENCH_RUNS: '1',
    BENCH_USERS: '20',
    BENCH_MEMORY_REQUESTS: '300',
    BENCH_DRAIN_TIMEOUT: '10',
    BENCH_PAIRS: '2',
    BENCH_ROUNDS: '1',
    BENCH_PHASE: '0.25',
    BENCH_COUNT_WARMUP: '50',
    BENCH_COUNT_PHASES: '4',
    BENCH_COUNT_REQUESTS: '50',
    BENCH_LOOKUP_ROUNDS: '2',
    BENCH_LOOKUP_CALLS: '10',
    ...more
  }
}

export function runBench (args: readonly string[], results: string, env: Readonly<Record<string, string>> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const command = ['-u', 'NODE_OPTIONS', '-u', 'NODE_V8_COVERAGE', process.execPath, '--import', 'tsx', ...args]
    const child = spawn('env', command, { cwd: ROOT, env: environment(results, env) })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.once('error', reject)
    child.once('close', (code) => { resolve({ code, output }) })
  })
}
