// Every knob of the benchmarks, from the environment. The defaults are the published method;
// the smoke test shrinks them (BENCH_DURATION=1, BENCH_USERS=500, ...) to check that each scenario runs.

function number (name: string, fallback: number, integer = true): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!(value >= 0) || (integer && !Number.isSafeInteger(value))) throw new TypeError(`${name} must be a non-negative ${integer ? 'integer' : 'number'}, got "${raw}"`)
  return value
}

const seconds = (name: string, fallback: number): number => number(name, fallback, false)
const integer = (name: string, fallback: number): number => number(name, fallback)

export const config = {
  /** Seconds of load per measurement. */
  duration: seconds('BENCH_DURATION', 10),
  /** Seconds of load before each measurement, on the same server process, not counted. */
  warmup: seconds('BENCH_WARMUP', 1),
  /** Measurements per target; figures are their medians. */
  runs: integer('BENCH_RUNS', 3),
  /** Users seeded in each database. */
  users: integer('BENCH_USERS', 100_000),
  /** Concurrent HTTP connections of the load generator. */
  connections: integer('BENCH_CONNECTIONS', 20),
  /** Pairs of fresh servers of `npm run bench:compare`, one of each version. */
  pairs: integer('BENCH_PAIRS', 6),
  /** Rounds per pair in `npm run bench:compare`: each loads both versions once, in turn. */
  rounds: integer('BENCH_ROUNDS', 10),
  /** Seconds of load per version and round in `npm run bench:compare`. */
  phase: seconds('BENCH_PHASE', 0.5),
  /** Requests of each phase of `npm run bench:count`, which runs the server under callgrind. */
  countRequests: integer('BENCH_COUNT_REQUESTS', 4_000),
  /** Phases of `npm run bench:count`, the two kinds of request in turn. */
  countPhases: integer('BENCH_COUNT_PHASES', 16),
  /** Requests of each kind before `npm run bench:count` counts. */
  countWarmup: integer('BENCH_COUNT_WARMUP', 10_000),
  /** Rounds of `npm run bench:lookup`: each calls every kind of lookup in turn. */
  lookupRounds: integer('BENCH_LOOKUP_ROUNDS', 21),
  /** Calls of each kind per round of `npm run bench:lookup`. */
  lookupCalls: integer('BENCH_LOOKUP_CALLS', 5_000),
  /** Requests of the memory scenario. */
  memoryRequests: integer('BENCH_MEMORY_REQUESTS', 500_000),
  /** How long the SMTP scenario waits for the last mail after the load stops, in seconds. */
  drainTimeout: seconds('BENCH_DRAIN_TIMEOUT', 120),
  pgUrl: process.env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
  /** The Redis of the durable scenario's BullMQ queue, as the tests name it. */
  redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
  /**
   * Whether the load generator polls instead of sleeping between responses (BENCH_POLL=1), for every
   * target that does not choose: see scenario 9. Off in the published method.
   */
  poll: process.env['BENCH_POLL'] === '1',
  /** A folder: every server process writes a V8 CPU profile there (node --cpu-prof) when it stops. */
  cpuProfileDir: process.env['BENCH_CPU_PROF']
} as const
