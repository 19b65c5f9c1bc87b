import { fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { buildApp } from './helpers/app.js'
import { userNamed } from './helpers/links.js'
import { startSilentSmtp } from './helpers/silent-smtp.js'

const CHILD = fileURLToPath(new URL('./fixtures/close-exit.ts', import.meta.url))
const MAILS = 6
const CONCURRENCY = 4

t.test('with an SMTP server that never answers, close() reports every accepted mail exactly once, in flight included, and cuts the sessions', async (t) => {
  const smtp = await startSilentSmtp(t)
  const h = await buildApp(t, { plugin: { queue: { concurrency: CONCURRENCY, closeTimeout: 200 }, mail: { transport: smtp.url, from: 'no-reply@example.com' } } })
  if (h === null) return
  const events: Array<{ event: string, reason?: string, attempts: number }> = []
  h.app.resetPassword.on('mailSent', ({ attempts }) => { events.push({ event: 'mailSent', attempts }) })
  h.app.resetPassword.on('mailFailed', ({ reason, attempts }) => { events.push({ event: 'mailFailed', reason, attempts }) })
  for (let i = 0; i < MAILS; i++) await userNamed(h, `user${i}`)
  for (let i = 0; i < MAILS; i++) t.equal((await h.post('send-reset-password-link', { login: `user${i}` })).statusCode, 200)
  while (h.app.resetPassword.queueStats().inFlight < CONCURRENCY || smtp.open < CONCURRENCY) await new Promise((resolve) => setTimeout(resolve, 10))
  t.match(h.app.resetPassword.queueStats(), { waiting: MAILS - CONCURRENCY, inFlight: CONCURRENCY, depth: MAILS, sent: 0, failed: 0 })

  await h.app.close()
  t.equal(events.length, MAILS, 'one event per accepted mail by the time close() resolved')
  t.ok(events.every(({ event, reason }) => event === 'mailFailed' && reason === 'closed'))
  t.same(events.map(({ attempts }) => attempts).sort(), [0, 0, 1, 1, 1, 1], 'four were in flight, two never started')
  t.match(h.app.resetPassword.queueStats(), { depth: 0, sent: 0, failed: MAILS })
  while (smtp.closedByClient < CONCURRENCY) await new Promise((resolve) => setTimeout(resolve, 10))
  t.pass('every SMTP session in flight was closed by the client')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(events.length, MAILS, 'nothing is reported after close() resolved')
})

t.test('a process can end on its own right after app.close(), with mail in flight to an SMTP server that never answers', async (t) => {
  const smtp = await startSilentSmtp(t)
  // Without tap's process tracking: tsx maps the child's coverage differently, and the in-process tests cover lib already.
  const untracked = { NODE_OPTIONS: '', _TAPJS_PROCESSINFO_COVERAGE_: '0' }
  const child = fork(CHILD, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...untracked, SMTP_URL: smtp.url, MAILS: String(MAILS), CONCURRENCY: String(CONCURRENCY) }
  })
  // A bound, not a measure: a child still alive after this long is stuck, and the test fails instead of hanging.
  const stuck = setTimeout(() => child.kill('SIGKILL'), 30_000)
  t.teardown(() => { clearTimeout(stuck); child.kill('SIGKILL') })
  const [report] = await once(child, 'message') as [{ events: Array<{ event: string, reason?: string }>, stats: { failed: number }, resources: string[] }]
  const [code, signal] = await once(child, 'exit') as [number | null, string | null]
  t.equal(signal, null, 'not killed: it ended on its own')
  t.equal(code, 0)
  t.equal(report.events.length, MAILS)
  t.ok(report.events.every(({ event, reason }) => event === 'mailFailed' && reason === 'closed'))
  t.equal(report.stats.failed, MAILS)
  t.notOk(report.resources.includes('TCPSocketWrap'), `no socket left open after close(): ${report.resources.join(', ')}`)
})
