import Fastify from 'fastify'
import { envNumber, serve } from './ipc.js'

// The wake-up scenario's server: a bare route that keeps the CPU busy for BENCH_SPIN microseconds
// and answers, so that its cost per request is known before it is measured.

const spin = BigInt(envNumber('BENCH_SPIN') * 1000)
const app = Fastify()
app.post('/spin', async () => {
  const end = process.hrtime.bigint() + spin
  while (process.hrtime.bigint() < end);
  return { detail: 'done' }
})

serve({
  listen: async () => {
    await app.listen({ host: '127.0.0.1', port: 0 })
    return (app.server.address() as { port: number }).port
  },
  close: async () => { await app.close() }
})
