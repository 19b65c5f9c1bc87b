import { fork } from 'node:child_process'
import { once } from 'node:events'
import http from 'node:http'
import { availableParallelism, cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { mannWhitney, median } from './stats.js'
import { onRequestedNode } from './node.js'
import type { TimingDialect } from './timing-server.js'

// `npm run bench:timing`: can a client tell an existing login from an unknown one by the time
// send-link takes? Interleaved requests for both, over one keep-alive connection, to a server in
// another process (rate limit off, delivery a no-op); per database, the median of each group,
// their difference and a two-sided Mann–Whitney U p-value. The aim (issue 3): a difference under
// 0.1 ms and p above 0.01. Knobs: TIMING_SAMPLES (per login form and group, default 3000),
// TIMING_USERS (seeded users, default 1000), PG_URL, TIMING_DURABLE=1 (send-link queues each request
// in BullMQ before replying, and a worker in the server's process does the lookup and the mail),
// TIMING_UNKNOWN=before (the unknown logins of the runs before 2026-12-07 20:10 UTC, see loginOf).
// `npm run bench:timing -- send-code` asks the same of send-reset-password-code, and
// `npm run bench:timing -- reset-with-code` of a wrong code for an account that asked for one
// versus any code for a login without an account that asked for one too (issue 12).

onRequestedNode()

const SAMPLES = Number(process.env['TIMING_SAMPLES'] ?? 3000)
const USERS = Number(process.env['TIMING_USERS'] ?? 1000)
const WARMUP_ROUNDS = 500

type Group = 'existing username' | 'existing e-mail' | 'unknown username' | 'unknown e-mail'
const GROUPS: readonly Group[] = ['existing username', 'existing e-mail', 'unknown username', 'unknown e-mail']

// The unknown logins sit among the existing ones in sort order, as guesses at real logins do: on SQLite
// each then reads, as its stand-in, the row of the next address on file, so the rows that unknown logins
// read spread over the file as the existing logins' rows do. The earlier `nobody<i>` logins all sort
// before every address: each read the same stand-in row, kept in the CPU's caches by the unknown logins
// alone, while the existing logins read 1,000 rows. On one AMD host and the same code, that made SQLite's
// existing logins 2.3 to 5.8 µs slower (three runs, all told apart); these logins read -1.1 to +1.8 µs
// (six runs, none told apart). A client cannot set up that difference for a login it asks about:
// repeated, its row is as warm as a stand-in, and guesses spread over the file whether or not they exist.
const UNKNOWN = process.env['TIMING_UNKNOWN'] === 'before'
  ? { username: (i: number) => `nobody${i}`, email: (i: number) => `nobody${i}@example.com` }
  : { username: (i: number) => `user${i}x`, email: (i: number) => `user${i}@example.org` }

function loginOf (group: Group, round: number): string {
  const i = round % USERS
  switch (group) {
    case 'existing username': return `user${i}`
    case 'existing e-mail': return `user${i}@example.com`
    case 'unknown username': return UNKNOWN.username(i)
    case 'unknown e-mail': return UNKNOWN.email(i)
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })

/** A route whose answer must not depend on whether the login exists. */
interface Probe {
  readonly path: string
  readonly status: number
  body (login: string): string
}

const PROBES: Readonly<Record<string, Probe>> = {
  'send-link': { path: '/api/send-reset-password-link', status: 200, body: (login) => JSON.stringify({ login }) },
  'send-code': { path: '/api/send-reset-password-code', status: 200, body: (login) => JSON.stringify({ login }) },
  // Every login asked for a code first (see measure), so a wrong code goes through the whole check.
  'reset-with-code': { path: '/api/reset-password-with-code', status: 400, body: (login) => JSON.stringify({ login, code: '00000000', password: 'a-new-Passw0rd-that-is-fine' }) }
}
const route = process.argv[2] ?? 'send-link'
if (!Object.hasOwn(PROBES, route)) {
  console.error(`unknown route ${route}; choose from: ${Object.keys(PROBES).join(', ')}`)
  process.exit(2)
}
const probe = PROBES[route] as Probe

/** One request; resolves with its time in milliseconds, from the first byte written to the last read. */
function send (port: number, login: string, target: Probe = probe): Promise<number> {
  const body = target.body(login)
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const request = http.request({
      host: '127.0.0.1',
      port,
      path: target.path,
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
    }, (response) => {
      response.resume()
      response.on('end', () => {
        const elapsed = Number(process.hrtime.bigint() - started) / 1e6
        if (response.statusCode === target.status) resolve(elapsed)
        else reject(new Error(`${target.path} answered ${response.statusCode}`))
      })
    })
    request.on('error', reject)
    request.end(body)
  })
}

function shuffled<T> (items: readonly T[]): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j] as T, copy[i] as T]
  }
  return copy
}

async function measure (dialect: TimingDialect): Promise<Record<Group, number[]>> {
  const server = fork(fileURLToPath(new URL('./timing-server.ts', import.meta.url)), [dialect, String(USERS)], {
    execArgv: ['--import', 'tsx']
  })
  const [{ port }] = await once(server, 'message') as [{ port: number }]
  const times: Record<Group, number[]> = { 'existing username': [], 'existing e-mail': [], 'unknown username': [], 'unknown e-mail': [] }
  // One shuffled schedule of all requests, so drift hits every group alike and the group of a request
  // says nothing about the group of the one before it (whose mail is still being built when it arrives).
  // Shuffling within rounds of four would not do: there an unknown login follows an existing one twice as often.
  const schedule = (rounds: number): Array<[Group, number]> => shuffled(GROUPS.flatMap((group) => Array.from({ length: rounds }, (_, i): [Group, number] => [group, i])))
  try {
    if (route === 'reset-with-code') {
      // Each login of each group, as a client that then tries a code asks for one first: an account's
      // code mail marks the account, a rehearsal the login (lib/codes/workflow.ts).
      for (let i = 0; i < USERS; i++) {
        for (const group of GROUPS) await send(port, loginOf(group, i), PROBES['send-code'])
      }
    }
    for (const [group, i] of schedule(WARMUP_ROUNDS)) await send(port, loginOf(group, i))
    for (const [group, i] of schedule(SAMPLES)) times[group].push(await send(port, loginOf(group, i)))
  } finally {
    server.send('stop')
    await once(server, 'exit')
  }
  return times
}

const ms = (value: number): string => value.toFixed(4)

function compare (label: string, existing: number[], unknown: number[]): string {
  const difference = median(existing) - median(unknown)
  const { p } = mannWhitney(existing, unknown)
  const verdict = Math.abs(difference) < 0.1 && p > 0.01 ? 'ok' : 'DISTINGUISHABLE'
  return `| ${label} | ${existing.length} / ${unknown.length} | ${ms(median(existing))} | ${ms(median(unknown))} | ${ms(difference)} | ${p.toPrecision(3)} | ${verdict} |`
}

console.log(`${route} timing: ${SAMPLES} requests per login form and group, interleaved, one keep-alive connection,`)
const mode = process.env['TIMING_DURABLE'] === '1' ? 'durable mode (BullMQ producer, worker in the server process)' : 'in-process queue'
console.log(`rate limit off, no-op delivery, ${USERS} seeded users; server in its own process; ${mode}.`)
console.log(`Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} CPUs, Node ${process.version}\n`)
console.log('| database: comparison | n (existing / unknown) | median existing (ms) | median unknown (ms) | difference (ms) | Mann–Whitney p | |')
console.log('|---|---|---|---|---|---|---|')
for (const dialect of ['sqlite', 'postgres'] as const) {
  const times = await measure(dialect)
  const existing = [...times['existing username'], ...times['existing e-mail']]
  const unknown = [...times['unknown username'], ...times['unknown e-mail']]
  console.log(compare(`${dialect}: existing vs unknown`, existing, unknown))
  console.log(compare(`${dialect}: username vs unknown username`, times['existing username'], times['unknown username']))
  console.log(compare(`${dialect}: e-mail vs unknown e-mail`, times['existing e-mail'], times['unknown e-mail']))
}
agent.destroy()
