import { performance } from 'node:perf_hooks'
import { NEW_PASSWORD } from '../seed/users.js'
import { hashers, isHasherName } from './hashers.js'
import { envNumber, envString, serve } from './ipc.js'

// The physical limit of the reset endpoint: the hasher alone (BENCH_HASH) with BENCH_CONCURRENCY
// hashes in flight, as many as the HTTP load keeps in flight, in a process of its own.

const name = envString('BENCH_HASH')
if (!isHasherName(name)) throw new Error(`BENCH_HASH must be default or cheap, got ${name}`)
const hash = hashers[name]
const concurrency = envNumber('BENCH_CONCURRENCY')

/** Hashes completed in `seconds`, counted like the HTTP load counts responses: those done in time. */
async function measure (seconds: number): Promise<{ hashes: number, seconds: number }> {
  const start = performance.now()
  const end = start + seconds * 1000
  let hashes = 0
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      await hash(NEW_PASSWORD)
      if (performance.now() <= end) hashes++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  return { hashes, seconds }
}

serve({
  listen: async () => undefined,
  close: async () => {},
  handlers: {
    measure: async ({ seconds }) => await measure(Number(seconds))
  }
})
