import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { config } from './config.js'
import { load, type LoadResult, type LoadSpec } from './load.js'
import { benchFile, startChild, type Child } from './processes.js'
import type { HasherName } from './servers/hashers.js'
import { median } from './stats.js'

/** One measurement of one target: one fresh server process, warmed up, then loaded for the duration. */
export interface Measurement {
  readonly target: string
  readonly run: number
  /** Requests per second (hashes per second for a hash-rate target). */
  readonly rps: number
  readonly requests: number
  /** Latency in milliseconds; null for a target that serves no HTTP. */
  readonly p50: number | null
  readonly p99: number | null
  /** Every response that was not 2xx, by status, plus `no-response` for errors and timeouts. */
  readonly failures: Readonly<Record<string, number>>
  /** RSS of the server process right after the load, in MB. */
  readonly serverRss: number
  /** CPU the server process used during the load, in percent of one core (threads included). */
  readonly serverCpu: number
  /**
   * Server CPU time per request in microseconds: the cost of a request, less sensitive than req/s
   * to other work on a shared machine taking cores away.
   */
  readonly cpuPerRequest: number
  readonly clientCpu: number | null
  readonly extra?: Readonly<Record<string, number>>
}

/** A thing to measure, once per run. */
export interface Target {
  readonly name: string
  measure (run: number): Promise<Measurement>
}

/** A running HTTP server to load. */
export interface Served {
  readonly child: Child
  readonly path: string
  readonly body: () => string
  /** More headers per request (see bench/clients.ts); none by default. */
  readonly headers?: () => Readonly<Record<string, string>>
  /** Frees what start() set up beyond the process (a database copy). */
  readonly cleanup?: () => Promise<void>
}

export interface HttpTargetOptions {
  readonly connections?: number
  /** Seconds of load, when not the configured duration. */
  readonly seconds?: number
  /** Whether the load generator polls instead of sleeping (see LoadSpec.poll); default BENCH_POLL. */
  readonly poll?: boolean
}

const MB = 1024 * 1024

/**
 * Waits until `child` is idle (under 10% of a core for 100 ms, or 10 s passed): requests of the
 * warm-up whose clients are gone are still running (a reset's scrypt takes a third of a second)
 * and must not eat into the measurement.
 */
export async function settle (child: Child): Promise<void> {
  const deadline = performance.now() + 10_000
  let { cpu } = await child.stats()
  while (performance.now() < deadline) {
    await sleep(100)
    const now = (await child.stats()).cpu
    if (now - cpu < 10_000) return
    cpu = now
  }
}

/** What to load `served` with: its URL, bodies and headers. */
export function loadOf (served: Served): LoadSpec {
  return { url: served.child.url + served.path, body: served.body, ...(served.headers === undefined ? {} : { headers: served.headers }) }
}

/** A target served over HTTP by a fresh process per measurement. */
export function httpTarget (name: string, start: () => Promise<Served>, options: HttpTargetOptions = {}): Target {
  return {
    name,
    async measure (run) {
      const served = await start()
      try {
        const spec = { ...loadOf(served), ...(options.connections === undefined ? {} : { connections: options.connections }), ...(options.poll === undefined ? {} : { poll: options.poll }) }
        if (config.warmup > 0) await load({ ...spec, seconds: config.warmup })
        await settle(served.child)
        const before = await served.child.stats()
        const started = performance.now()
        const result = await load({ ...spec, seconds: options.seconds ?? config.duration })
        const after = await served.child.stats()
        return measurement(name, run, result, before, after, performance.now() - started)
      } finally {
        await served.child.stop()
        await served.cleanup?.()
      }
    }
  }
}

/** Which of two kinds of request a paired target sends; it switches between them. */
export type Kind = 'first' | 'second'

/** The kind of phase `n` (from 0): first, second, second, first, first, ...: each as often first as second. */
export function alternate (n: number): Kind {
  return (n % 4 === 0 || n % 4 === 3) ? 'first' : 'second'
}

/**
 * Two kinds of request on one server, in alternating phases (`phases` of each, the order flipping
 * every pair, together lasting the configured duration), each phase's CPU counted from before its
 * load until the server is idle again (so the work a request leaves after its reply counts for its
 * kind). Separate servers for each kind differ by more than their requests do: from run to run the
 * CPU per request of one target on a fresh process moved by up to 15 % here. `extra` holds each
 * kind's CPU per request and their ratio, second over first.
 */
export function pairedTarget (name: string, start: () => Promise<Served>, choose: (kind: Kind) => void, phases = 5): Target {
  return {
    name,
    async measure (run) {
      const served = await start()
      try {
        const spec = loadOf(served)
        const seconds = config.duration / (2 * phases)
        for (const kind of ['first', 'second'] as const) {
          choose(kind)
          if (config.warmup > 0) await load({ ...spec, seconds: config.warmup })
        }
        await settle(served.child)
        const spent = { first: { cpu: 0, requests: 0 }, second: { cpu: 0, requests: 0 } }
        const results: LoadResult[] = []
        const before = await served.child.stats()
        const started = performance.now()
        for (let n = 0; n < 2 * phases; n++) {
          const kind = alternate(n)
          choose(kind)
          const { result, before: from, after: to } = await phase(served, spec, seconds)
          spent[kind].cpu += to.cpu - from.cpu
          spent[kind].requests += result.requests
          results.push(result)
        }
        const after = await served.child.stats()
        const whole = combined(results)
        const first = spent.first.cpu / spent.first.requests
        const second = spent.second.cpu / spent.second.requests
        return {
          ...measurement(name, run, whole, before, after, performance.now() - started),
          extra: { firstCpuPerRequest: first, secondCpuPerRequest: second, secondOverFirst: second / first }
        }
      } finally {
        await served.child.stop()
        await served.cleanup?.()
      }
    }
  }
}

/** One phase of a server's load, as pairedTarget and `npm run bench:compare` take them. */
export interface Phase {
  readonly result: LoadResult
  /** The server's stats before the load and once it is idle again after it. */
  readonly before: ServerStats
  readonly after: ServerStats
  /** From the start of the load until the server was idle. */
  readonly elapsedMs: number
}

/**
 * Loads a running server for `seconds`, then waits until it is idle: the CPU between `before` and
 * `after` includes the work its requests left after their replies (a mail job).
 */
export async function phase (served: Served, spec: LoadSpec, seconds: number): Promise<Phase> {
  const before = await served.child.stats()
  const started = performance.now()
  const result = await load({ ...spec, seconds })
  await settle(served.child)
  const after = await served.child.stats()
  return { result, before, after, elapsedMs: performance.now() - started }
}

// Several loads as one: requests and statuses summed, rates over the summed time, latencies the median of the phases'.
function combined (results: readonly LoadResult[]): LoadResult {
  const seconds = results.reduce((sum, r) => sum + r.seconds, 0)
  const requests = results.reduce((sum, r) => sum + r.requests, 0)
  const statuses: Record<string, number> = {}
  for (const r of results) for (const [status, count] of Object.entries(r.statuses)) statuses[status] = (statuses[status] ?? 0) + count
  return {
    requests,
    seconds,
    rps: requests / seconds,
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
    statuses,
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    clientCpu: results.reduce((sum, r) => sum + r.clientCpu * r.seconds, 0) / seconds
  }
}

/** Server stats, as `Child.stats()` gives them: RSS in bytes, CPU time in microseconds. */
export interface ServerStats { readonly rss: number, readonly cpu: number }

/**
 * The figures every HTTP measurement reports, from a load result and the server's stats taken
 * before and after it, `elapsedMs` apart.
 */
export function measurement (target: string, run: number, result: LoadResult, before: ServerStats, after: ServerStats, elapsedMs: number): Measurement {
  const cpu = after.cpu - before.cpu
  return {
    target,
    run,
    rps: result.rps,
    requests: result.requests,
    p50: result.p50,
    p99: result.p99,
    failures: failures(result),
    serverRss: after.rss / MB,
    // CPU microseconds over elapsed milliseconds, as a percentage of one core.
    serverCpu: cpu / (elapsedMs * 10),
    cpuPerRequest: cpu / result.requests,
    clientCpu: result.clientCpu
  }
}

export function failures (result: LoadResult): Record<string, number> {
  const found: Record<string, number> = {}
  for (const [status, count] of Object.entries(result.statuses)) {
    if (!status.startsWith('2')) found[status] = count
  }
  if (result.errors > 0) found['no-response'] = result.errors
  return found
}

/** The bare hash rate of `hasher` with `concurrency` hashes in flight, in a process of its own. */
export function hashTarget (name: string, hasher: HasherName, concurrency: number, seconds = config.duration): Target {
  return { name, measure: async (run) => await measureHashRate(name, hasher, concurrency, seconds, run) }
}

async function measureHashRate (name: string, hasher: HasherName, concurrency: number, duration: number, run: number): Promise<Measurement> {
  const child = await startChild(benchFile('servers/hash-rate.ts'), { env: { BENCH_HASH: hasher, BENCH_CONCURRENCY: concurrency } })
  try {
    if (config.warmup > 0) await child.call('measure', { seconds: config.warmup })
    const before = await child.stats()
    const { hashes, seconds } = await child.call<{ hashes: number, seconds: number }>('measure', { seconds: duration })
    const after = await child.stats()
    return {
      target: name,
      run,
      rps: hashes / seconds,
      requests: hashes,
      p50: null,
      p99: null,
      failures: {},
      serverRss: after.rss / MB,
      serverCpu: (after.cpu - before.cpu) / (seconds * 1e4),
      cpuPerRequest: (after.cpu - before.cpu) / hashes,
      clientCpu: null
    }
  } finally {
    await child.stop()
  }
}

/**
 * Measures every target `runs` times, interleaved (run 1 of each, then run 2 of each, the order
 * rotating), so that drift of a shared machine lands on every target alike.
 */
export async function measureAll (targets: readonly Target[], runs = config.runs): Promise<Measurement[]> {
  const measurements: Measurement[] = []
  for (let run = 0; run < runs; run++) {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(i + run) % targets.length] as Target
      const measurement = await target.measure(run + 1)
      measurements.push(measurement)
      console.error(`  ${target.name} #${run + 1}: ${Math.round(measurement.rps)}/s`)
    }
  }
  return measurements
}
