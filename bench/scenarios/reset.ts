import { config } from '../config.js'
import { hashTarget, httpTarget, measureAll, type Measurement, type Target } from '../measure.js'
import { cpuRatio, perRun, ratio, type Figure, type ScenarioResult } from '../report.js'
import { median } from '../stats.js'
import { resetServer, type Db } from './servers.js'

export const title = 'scenario 5: reset-password with fresh links vs the bare hash rate (SQLite)'

// The default hasher keeps as many requests in flight as libuv has threads to hash them (4): more
// would only queue, fewer would leave a thread idle. The bare hash loop keeps the same number in flight.
const HASH_CONNECTIONS = 4
// At a few hashes per second, a hash or two in flight when the time is up is a few per cent of the
// count: on SQLite, where this ratio is published, the default-hasher pair runs twice as long.
const HASH_SECONDS = 2 * config.duration

/** The reset targets on `db`, with the bare hash rates they are compared with. */
export function resetTargets (db: Db, suffix = '', hashSeconds = HASH_SECONDS): Target[] {
  return [
    httpTarget(`reset${suffix}`, resetServer(db, 'default'), { connections: HASH_CONNECTIONS, seconds: hashSeconds }),
    hashTarget('bare hash', 'default', HASH_CONNECTIONS, hashSeconds),
    httpTarget(`reset cheap-hash${suffix}`, resetServer(db, 'cheap')),
    hashTarget('bare cheap hash', 'cheap', config.connections)
  ]
}

/**
 * What a reset costs beyond its hash, in ms: the server's time per reset with the cheap hasher
 * (its main thread is the limit, so 1000 / rps) less the time per bare cheap hash.
 */
function overhead (measurements: readonly Measurement[], suffix: string): Figure {
  const runs = perRun(measurements, 'rps', (rate) => 1000 / rate(`reset cheap-hash${suffix}`) - 1000 / rate('bare cheap hash'))
  return { name: `plugin overhead per reset${suffix}`, value: median(runs), unit: 'ms', runs, target: { max: 0.3 }, how: '1000 / (reset cheap-hash req/s) - 1000 / (bare cheap hash/s), per run, median' }
}

export function resetFigures (measurements: readonly Measurement[], suffix = ''): Figure[] {
  return [
    ratio(measurements, `reset${suffix}`, 'bare hash', { min: 0.95 }),
    cpuRatio(measurements, `reset${suffix}`, 'bare hash'),
    overhead(measurements, suffix)
  ]
}

export async function run (): Promise<ScenarioResult> {
  const measurements = await measureAll(resetTargets('sqlite'))
  return { measurements, figures: resetFigures(measurements) }
}
