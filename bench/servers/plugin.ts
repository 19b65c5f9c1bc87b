import Fastify from 'fastify'
import type { Kysely } from 'kysely'
import resetPassword, { kyselyUsers, type ResetPasswordOptions } from '../../lib/index.js'
import { kyselyOf, openStore } from './database.js'
import { hashers, isHasherName } from './hashers.js'
import { envNumber, envString, serve } from './ipc.js'

// The plugin as an app would run it, under /api/v1/accounts, rate limit off unless asked. The environment picks
// the store (see database.ts), the limits, the delivery mode, the mail path and the hasher:
//   BENCH_RATE_LIMIT=default       the plugin's default limits, in memory, behind a trusted proxy
//                                  (trustProxy: the client is the X-Forwarded-For address)
//   BENCH_DURABLE=1                send-link stores each request in BullMQ (BENCH_REDIS_URL) and a
//                                  worker in this process does the lookup and the mail (durable.ts)
//   BENCH_MAIL=drop                deliver() accepts each message and drops it (the request path alone)
//   BENCH_MAIL=smtp                nodemailer to 127.0.0.1:BENCH_SMTP_PORT; BENCH_SMTP_POOL=1 keeps
//                                  BENCH_SMTP_CONNECTIONS connections open, else the plugin's default (a URL: a pool of queue.concurrency)
//   BENCH_QUEUE_CONCURRENCY        the queue's concurrency (default: the plugin's, 4)
//   BENCH_HASH=default|cheap       see hashers.ts; default passes no password.hash at all

export const PREFIX = '/api/v1/accounts'

const store = openStore()
const db = kyselyOf(store)
const hasher = envString('BENCH_HASH', 'default')
if (!isHasherName(hasher)) throw new Error(`BENCH_HASH must be default or cheap, got ${hasher}`)

function mailOptions (): Pick<ResetPasswordOptions, 'mail' | 'deliver'> {
  if (envString('BENCH_MAIL', 'drop') === 'drop') return { deliver: () => {} }
  const port = envNumber('BENCH_SMTP_PORT')
  const transport = envString('BENCH_SMTP_POOL', '0') === '1'
    ? { host: '127.0.0.1', port, ignoreTLS: true, pool: true, maxConnections: envNumber('BENCH_SMTP_CONNECTIONS', 4), maxMessages: Infinity }
    : `smtp://127.0.0.1:${port}`
  return { mail: { transport, from: 'no-reply@example.com' } }
}

const mail = { accepted: 0, sent: 0, failed: 0 }
const rateLimited = envString('BENCH_RATE_LIMIT', 'off') === 'default'
const app = Fastify({ trustProxy: rateLimited })
// Every 200 of send-link queued one mail (all seeded users are active and have an address). Counted
// here, not by the load generator, which misses the requests still in flight when it stops; and only
// when mail goes out by SMTP, so that the other scenarios measure no hook of ours.
if (envString('BENCH_MAIL', 'drop') === 'smtp') {
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode === 200 && request.url.endsWith('/send-reset-password-link')) mail.accepted++
  })
}
const options: ResetPasswordOptions = {
  prefix: PREFIX,
  secret: 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
  verificationUrl: 'https://frontend.example/reset-password/',
  users: kyselyUsers(db, { table: store.table }),
  // Absent, the option means the defaults.
  ...(rateLimited ? {} : { rateLimit: false }),
  // For the send-code scenario; the other routes do not change with it.
  codes: true,
  ...mailOptions(),
  ...(hasher === 'default' ? {} : { password: { hash: hashers[hasher] } }),
  ...(process.env['BENCH_QUEUE_CONCURRENCY'] === undefined ? {} : { queue: { concurrency: envNumber('BENCH_QUEUE_CONCURRENCY') } })
}
// Loaded only when asked for: BullMQ and its Redis clients have no place in the other targets' figures.
const queue = envString('BENCH_DURABLE', '0') === '1' ? (await import('./durable.js')).durable(options) : undefined
await app.register(resetPassword, { ...options, ...(queue === undefined ? {} : { producer: queue.producer }) })

app.resetPassword.on('mailSent', () => { mail.sent++ })
app.resetPassword.on('mailFailed', () => { mail.failed++ })

interface Row {
  readonly id: number | string
  readonly email: string | null
  readonly password_hash: string
}

serve({
  listen: async () => {
    await app.listen({ host: '127.0.0.1', port: 0 })
    return (app.server.address() as { port: number }).port
  },
  close: async () => {
    await app.close()
    await queue?.close()
    // Kysely's destroy() closes the SQLite file or ends the pg pool.
    await db.destroy()
  },
  handlers: {
    mail: () => mail,
    jobs: async () => {
      if (queue === undefined) throw new Error('start the server with BENCH_DURABLE=1')
      return await queue.counts()
    },
    resetMail: () => {
      mail.accepted = mail.sent = mail.failed = 0
      return null
    },
    // Fresh links for users 1..count, issued the way an app pre-issues them: through the signer.
    links: async ({ count }) => {
      const rows = await (db as Kysely<any>).selectFrom(store.table).select(['id', 'email', 'password_hash'])
        .orderBy('id').limit(Number(count)).execute() as Row[]
      return rows.map((row) => app.resetPassword.signer.sign({ id: String(row.id), email: row.email, passwordHash: row.password_hash }))
    }
  }
})
