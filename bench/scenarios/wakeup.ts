import { httpTarget, measureAll, type Measurement } from '../measure.js'
import { perRun, type Figure, type ScenarioResult } from '../report.js'
import { benchFile, startChild } from '../processes.js'
import { median } from '../stats.js'

export const title = 'scenario 9: what a response costs the server to wake the load generator (a route of known cost)'

// On this project's machine (a VM with two vCPUs), the load generator sleeps between responses once
// the server is the slower side, and each response the server writes then wakes it: the kernel
// does that inside the server's writev, so the server's CPU per request grows by an amount that no
// code of the server's causes, and that grows with the server's own cost. The server here spins
// for a known time per request; the same server is loaded by a client that sleeps (as in every
// other scenario) and by one that keeps polling, and the difference of their CPU per request is
// what the wake-ups cost.

const SPINS = [30, 60] as const
const name = (spin: number, client: 'sleeping' | 'polling'): string => `spin ${spin} us, client ${client}`

function start (spin: number) {
  return async () => ({ child: await startChild(benchFile('servers/spin.ts'), { env: { BENCH_SPIN: spin } }), path: '/spin', body: () => '{}' })
}

/** Per run, CPU per request of the sleeping-client target less that of the polling one. */
function wakeUpCost (measurements: readonly Measurement[], spin: number): Figure {
  const runs = perRun(measurements, 'cpuPerRequest', (cost) => cost(name(spin, 'sleeping')) - cost(name(spin, 'polling')))
  return { name: `wake-up cost per response, route of ${spin} us`, value: median(runs), unit: 'us', runs, how: 'server CPU us per request with a sleeping client less with a polling one, per run, median' }
}

export async function run (): Promise<ScenarioResult> {
  const measurements = await measureAll(SPINS.flatMap((spin) => [
    httpTarget(name(spin, 'sleeping'), start(spin), { poll: false }),
    httpTarget(name(spin, 'polling'), start(spin), { poll: true })
  ]))
  return { measurements, figures: SPINS.map((spin) => wakeUpCost(measurements, spin)) }
}
