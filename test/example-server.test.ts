import { EventEmitter } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import t from 'tap'
import { exampleConfig, startMessage } from '../example/config.js'
import { closeOnSignals } from '../example/shutdown.js'
import { DEMO_USER } from '../example/db.js'
import { startSmtpSink } from './helpers/smtp.js'
import { startProxy } from './helpers/proxy.js'
import { startNode } from './helpers/child.js'
import { root } from './helpers/docs.js'
import { example } from './helpers/example.js'

// How `npm start` (example/server.ts) runs: its settings, what it prints, and how it stops.
/** A logger stream that keeps the messages, for the tests that read what the example logs. */
function logLines (): { stream: Writable, messages: string[] } {
  const messages: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { messages.push((JSON.parse(String(chunk)) as { msg: string }).msg); done() } })
  return { stream, messages }
}

t.test('a signal closes the app after its queued mail is sent, and the log says how many were sent', async (t) => {
  const { stream, messages } = logLines()
  const h = await example(t, { logger: { level: 'info', stream } })
  const signals = new EventEmitter()
  const codes: number[] = []
  const closed = closeOnSignals(h.app, signals, (code) => { codes.push(code) })
  t.equal((await h.post('/api/v1/accounts/send-reset-password-link', { login: DEMO_USER.username })).statusCode, 200)
  signals.emit('SIGTERM')
  await closed
  t.equal(h.sink.mails.length, 1, 'the queued mail was sent before the app closed')
  t.ok(messages.includes('SIGTERM: closing, sending the mail still queued first'))
  t.ok(messages.includes('closed: 1 mails sent, 0 not sent'))
  t.same(codes, [], 'the exit code is left at 0')
})

t.test('the shutdown log counts a mail the SMTP server refused as not sent', async (t) => {
  const { stream, messages } = logLines()
  const h = await example(t, { logger: { level: 'info', stream } })
  h.sink.fault({ kind: 'permanent' })
  const signals = new EventEmitter()
  const closed = closeOnSignals(h.app, signals)
  t.equal((await h.post('/api/v1/accounts/send-reset-password-link', { login: DEMO_USER.username })).statusCode, 200)
  signals.emit('SIGINT')
  await closed
  t.ok(messages.includes('closed: 0 mails sent, 1 not sent'))
})

t.test('a close that fails is logged and makes the exit code 1', async (t) => {
  const { stream, messages } = logLines()
  const h = await example(t, { logger: { level: 'info', stream } })
  h.app.addHook('onClose', async () => { throw new Error('a resource would not close') })
  const signals = new EventEmitter()
  const codes: number[] = []
  const closed = closeOnSignals(h.app, signals, (code) => { codes.push(code) })
  signals.emit('SIGINT')
  await closed
  t.same(codes, [1])
  t.ok(messages.includes('the close failed: 0 mails sent, 0 not sent'))
})

t.test('npm start reads every setting from the environment, with the documented defaults', async (t) => {
  t.match(exampleConfig({}), {
    port: 3000,
    host: '127.0.0.1',
    app: { database: 'example.sqlite', freshDatabase: false, publicUrl: 'http://localhost:3000/', smtpUrl: undefined, secret: undefined, adminToken: undefined }
  })
  const env = { PORT: '8080', HOST: '0.0.0.0', DATABASE: 'demo.sqlite', RESET_DEMO: '1', PUBLIC_URL: 'https://demo.example/', SMTP_URL: 'smtp://127.0.0.1:2525', RESET_SECRET: 'a-secret', ADMIN_TOKEN: 'a-token' }
  t.match(exampleConfig(env), {
    port: 8080,
    host: '0.0.0.0',
    app: { database: 'demo.sqlite', freshDatabase: true, publicUrl: 'https://demo.example/', smtpUrl: 'smtp://127.0.0.1:2525', secret: 'a-secret', adminToken: 'a-token' }
  })
  for (const name of Object.keys(env)) {
    t.match(await readFile(join(root, 'README.md'), 'utf8'), `| \`${name}\` |`, `${name} is in the README`)
  }
})

t.test('npm start says where the link will appear and how to start over', async (t) => {
  const printed = startMessage(exampleConfig({}))
  t.match(printed.join('\n'), 'open http://localhost:3000/forgot-password/')
  t.match(printed.join('\n'), 'printed on this console')
  t.match(printed.join('\n'), 'delete example.sqlite, or start it with RESET_DEMO=1')
  t.match(startMessage(exampleConfig({ SMTP_URL: 'smtp://127.0.0.1:2525' })).join('\n'), 'sent through SMTP_URL')
})

t.test('npm start, stopped with Ctrl-C while a mail waits for a retry, sends it, logs the count and exits 0', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fastify-reset-password-example-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const sink = await startSmtpSink(t)
  const smtp = await startProxy(t, { host: '127.0.0.1', port: sink.port })
  await smtp.down()
  const server = startNode(t, join(root, 'example', 'server.ts'), {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE: join(dir, 'example.sqlite'), PUBLIC_URL: 'http://127.0.0.1:3000/', SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, RESET_SECRET: undefined, ADMIN_TOKEN: undefined, RESET_DEMO: undefined }
  })
  const [, base = ''] = await server.waitForLine(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/)
  await server.waitForLine(/RESET_DEMO=1/)
  const res = await fetch(`${base}/api/v1/accounts/send-reset-password-link`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: DEMO_USER.username }) })
  t.equal(res.status, 200)
  // The SMTP server is down: the mail is in the queue, waiting for its next attempt.
  await server.waitForLine(/mail delivery failed, will retry/)
  await smtp.up()
  server.process.kill('SIGINT')
  t.same(await server.exited, { code: 0, signal: null })
  t.ok(server.lines.some((line) => line.includes('"msg":"closed: 1 mails sent, 0 not sent"')), 'the summary was logged')
  t.same((await sink.waitForMails(1)).map((mail) => mail.to), [[DEMO_USER.email]])
})
