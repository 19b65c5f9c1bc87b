import { once } from 'node:events'
import { createServer } from 'node:net'
import t from 'tap'
import resetPassword, { kyselyUsers, type ResetPasswordEvents, type ResetPasswordOptions } from '../lib/index.js'
import { bullmqProducer, bullmqWorker } from '../lib/bullmq/index.js'
import { silentLogger } from '../lib/bullmq/silent.js'
import { buildApp, cheapHash, NEW_PASSWORD, SECRET, VERIFICATION_URL, type TestApp } from './helpers/app.js'
import { openBullmq } from './helpers/bullmq.js'
import { mailedLink, userNamed } from './helpers/links.js'
import Fastify from 'fastify'

/** The plugin options a worker needs, matching those buildApp gives the app. */
function pluginOptions (h: TestApp, extra: Partial<ResetPasswordOptions> = {}): ResetPasswordOptions {
  return {
    secret: SECRET,
    verificationUrl: VERIFICATION_URL,
    users: kyselyUsers(h.db, { table: h.table }),
    password: { hash: cheapHash },
    now: () => h.clock.now,
    ...extra,
    mail: { transport: h.sink.url, from: 'no-reply@example.com', ...extra.mail }
  }
}

/** A port nothing listens on. */
async function closedPort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

function record<K extends keyof ResetPasswordEvents> (worker: { on: (event: K, listener: (...args: ResetPasswordEvents[K]) => unknown) => unknown }, event: K): Array<ResetPasswordEvents[K][0]> {
  const seen: Array<ResetPasswordEvents[K][0]> = []
  worker.on(event, (payload) => { seen.push(payload) })
  return seen
}

t.test('with a producer, a send-link request is in Redis when the reply comes, and a worker started later mails the link', async (t) => {
  const q = await openBullmq(t)
  if (q === null) return
  const producer = q.producer()
  const h = await buildApp(t, { plugin: { producer } })
  if (h === null) return
  await userNamed(h, 'alice')
  t.equal((await h.post('send-reset-password-link', { login: 'alice' })).statusCode, 200)
  t.equal(h.sink.mails.length, 0, 'the app itself sends nothing')
  const stats = await producer.stats()
  t.match(stats, { waiting: 1, active: 0, delayed: 0, failed: 0 })
  t.ok(stats.oldestWaitingAge >= 0)

  const worker = q.worker({ plugin: pluginOptions(h) })
  const sent = record(worker, 'mailSent')
  const created = record(worker, 'linkCreated')
  const [mail] = await h.sink.waitForMails(1)
  t.same(mail?.to, ['alice@example.com'])
  t.equal(created.length, 1)
  await once(worker.worker, 'completed')
  t.match(sent, [{ kind: 'link', attempts: 1, user: { username: 'alice' } }])
  t.match(await producer.stats(), { waiting: 0, oldestWaitingAge: 0 })
})

t.test('in durable mode a reset works with the mailed link, and its changed-password notice goes through the worker', async (t) => {
  const q = await openBullmq(t)
  if (q === null) return
  const h = await buildApp(t, { plugin: { producer: q.producer() } })
  if (h === null) return
  const worker = q.worker({ plugin: pluginOptions(h) })
  const sent = record(worker, 'mailSent')
  const alice = await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice@example.com')
  t.equal((await h.post('reset-password', { ...link, password: NEW_PASSWORD })).statusCode, 200)
  const mails = await h.sink.waitForMails(2)
  t.match(mails[1], { to: ['alice@example.com'], subject: 'Your password was changed' })
  while (sent.length < 2) await once(worker.worker, 'completed')
  t.match(sent, [{ kind: 'link' }, { kind: 'changed-notice', user: { id: alice.id } }])
})

t.test('an unknown login is queued like a known one; the worker mails an unknown address its notice and a username nothing', async (t) => {
  const q = await openBullmq(t)
  if (q === null) return
  const h = await buildApp(t, { plugin: { producer: q.producer(), mail: { from: 'no-reply@example.com', unknownAccountNotice: true } } })
  if (h === null) return
  t.equal((await h.post('send-reset-password-link', { login: 'nobody' })).statusCode, 200)
  t.equal((await h.post('send-reset-password-link', { login: 'nobody@example.com' })).statusCode, 200)
  const jobs = await q.producer().queue.getJobs(['waiting'])
  t.same(jobs.map((job) => job.data.kind === 'link-request' ? job.data.login : '').sort(), ['nobody', 'nobody@example.com'], 'both requests were stored')

  const worker = q.worker({ plugin: pluginOptions(h, { mail: { from: 'no-reply@example.com', unknownAccountNotice: true } }) })
  const sent = record(worker, 'mailSent')
  await once(worker.worker, 'completed')
  await once(worker.worker, 'completed')
  t.same(h.sink.mails.map((mail) => mail.to), [['nobody@example.com']])
  t.match(sent, [{ kind: 'unknown-account-notice', user: null }])
})

t.test('with failWhenUserNotFound the lookup runs before the reply: an unknown login gets 400, and both are still queued', async (t) => {
  const q = await openBullmq(t)
  if (q === null) return
  const producer = q.producer()
  const h = await buildApp(t, { plugin: { producer, failWhenUserNotFound: true } })
  if (h === null) return
  await userNamed(h, 'alice')
  t.equal((await h.post('send-reset-password-link', { login: 'alice' })).statusCode, 200)
  const unknown = await h.post('send-reset-password-link', { login: 'nobody' })
  t.equal(unknown.statusCode, 400)
  t.equal(unknown.json().code, 'FST_RESET_PASSWORD_USER_NOT_FOUND')
  t.equal((await producer.stats()).waiting, 2)
})

t.test('a producer that cannot reach Redis answers 503 within its timeout, and a reset still succeeds with its notice sent in-process', async (t) => {
  const port = await closedPort()
  // ioredis at its defaults (20 retries per command, reconnecting forever): the producer's timeout bounds the wait.
  const producer = bullmqProducer({ connection: { host: '127.0.0.1', port }, timeout: 300 })
  t.teardown(async () => { await producer.close() })
  const h = await buildApp(t, { plugin: { producer } })
  if (h === null) return
  await userNamed(h, 'alice')
  const res = await h.post('send-reset-password-link', { login: 'alice' })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'FST_RESET_PASSWORD_UNAVAILABLE')
  t.equal((await h.post('send-reset-password-link', { login: 'nobody' })).statusCode, 503, 'the same for an unknown login')
  await t.rejects(producer.stats(), /did not answer within 300 ms/)

  // A link signed by hand: the reset path does not need the queue, and the password change must not be undone by it.
  const user = (await h.app.resetPassword.users.findByLogin('alice'))[0]
  const link = h.app.resetPassword.signer.sign(user!)
  t.equal((await h.post('reset-password', { ...link, password: NEW_PASSWORD })).statusCode, 200)
  const [notice] = await h.sink.waitForMails(1)
  t.equal(notice?.subject, 'Your password was changed')
})

t.test('a job whose mail keeps failing is retried with backoff, then left in the failed set with the reason', async (t) => {
  const q = await openBullmq(t)
  if (q === null) return
  const producer = q.producer({ attempts: 3, retryDelay: 10 })
  const h = await buildApp(t, { plugin: { producer } })
  if (h === null) return
  await userNamed(h, 'alice')
  h.sink.fault({ kind: 'temporary' })
  t.equal((await h.post('send-reset-password-link', { login: 'alice' })).statusCode, 200)
  const worker = q.worker({ plugin: pluginOptions(h) })
  const failed = record(worker, 'mailFailed')
  const [job, error] = await once(worker.worker, 'failed') as [unknown, Error]
  t.match(error.message, /451/)
  const retried = once(worker.worker, 'failed')
  t.equal(failed.length, 0, 'no mailFailed while a retry is coming')
  await retried
  await once(worker.worker, 'failed')
  t.ok(job)
  t.match(failed, [{ kind: 'link', attempts: 3, user: { username: 'alice' } }])
  t.equal(h.sink.attempts, 3)
  const [dead] = await producer.queue.getFailed()
  t.equal(dead?.attemptsMade, 3)
  t.match(dead?.failedReason, /451/)
  t.match(await producer.stats(), { failed: 1, waiting: 0, delayed: 0 })
})

t.test('a 5xx SMTP reply fails the job at once, without retries', async (t) => {
  const q = await openBullmq(t)
  if (q === null) return
  const producer = q.producer({ attempts: 5, retryDelay: 10 })
  const h = await buildApp(t, { plugin: { producer } })
  if (h === null) return
  await userNamed(h, 'alice')
  h.sink.fault({ kind: 'permanent' })
  t.equal((await h.post('send-reset-password-link', { login: 'alice' })).statusCode, 200)
  const worker = q.worker({ plugin: pluginOptions(h) })
  const failed = record(worker, 'mailFailed')
  await once(worker.worker, 'failed')
  t.match(failed, [{ kind: 'link', attempts: 1 }])
  const [dead] = await producer.queue.getFailed()
  t.equal(dead?.attemptsMade, 1)
  t.match(dead?.failedReason, /550/)
})

t.test('enqueueing the same job id twice makes one job', async (t) => {
  const q = await openBullmq(t)
  if (q === null) return
  const producer = q.producer()
  const job = { kind: 'link-request', id: 'request-1', login: 'alice', locale: null } as const
  await producer.enqueue(job)
  await producer.enqueue(job)
  t.equal((await producer.stats()).waiting, 1)
})

t.test('a worker drops a changed-password notice when notices are off or the user is gone, and retries when the user store fails', async (t) => {
  const q = await openBullmq(t)
  if (q === null) return
  const producer = q.producer({ attempts: 2, retryDelay: 10 })
  const h = await buildApp(t)
  if (h === null) return
  const alice = await userNamed(h, 'alice')
  const quiet = q.worker({ plugin: pluginOptions(h, { mail: { from: 'no-reply@example.com', changedNotice: false } }) })
  await producer.enqueue({ kind: 'changed-notice', id: 'n1', userId: alice.id, locale: null, changedAt: h.clock.now })
  await once(quiet.worker, 'completed')
  await quiet.close()

  const broken = pluginOptions(h)
  const worker = q.worker({
    plugin: { ...broken, users: { ...broken.users, findById: async (id) => { if (id === '0') throw new Error('store down'); return null } } },
    logger: silentLogger.child({})
  })
  await producer.enqueue({ kind: 'changed-notice', id: 'n2', userId: '12345', locale: 'fr', changedAt: h.clock.now })
  await once(worker.worker, 'completed')
  await producer.enqueue({ kind: 'changed-notice', id: 'n3', userId: '0', locale: null, changedAt: h.clock.now })
  const [, error] = await once(worker.worker, 'failed') as [unknown, Error]
  t.equal((error as { code?: string }).code, 'FST_RESET_PASSWORD_UNAVAILABLE')
  t.equal(h.sink.mails.length, 0)
})

t.test('a worker whose deliver function throws a non-Error reports an Error, and one whose Redis is down logs it and stays up', async (t) => {
  const q = await openBullmq(t)
  if (q === null) return
  const producer = q.producer({ attempts: 1 })
  const h = await buildApp(t)
  if (h === null) return
  await userNamed(h, 'alice')
  const { mail: _mail, ...plugin } = pluginOptions(h)
  const worker = q.worker({ plugin: { ...plugin, deliver: () => { throw 'SMTP relay said no' } } }) // eslint-disable-line no-throw-literal
  const failed = record(worker, 'mailFailed')
  const ignored = (): void => { t.fail('removed with off()') }
  worker.on('mailSent', ignored).off('mailSent', ignored)
  await producer.enqueue({ kind: 'link-request', id: 'r1', login: 'alice', locale: null })
  await once(worker.worker, 'failed')
  t.equal(failed[0]?.error.message, 'SMTP relay said no')

  const logged: unknown[] = []
  const logger = { ...silentLogger, error: (entry: unknown) => { logged.push(entry) } }
  const down = bullmqWorker({ connection: { host: '127.0.0.1', port: await closedPort() }, plugin: pluginOptions(h), logger })
  t.teardown(async () => { await down.close() })
  await once(down.worker, 'error')
  t.ok(logged.length > 0, 'the error is logged')
})

t.test('the producer and the plugin reject bad options at once, naming them', async (t) => {
  const connection = { host: '127.0.0.1', port: 6379, lazyConnect: true }
  t.throws(() => bullmqProducer({ connection, attempts: 0 }), { code: 'FST_RESET_PASSWORD_INVALID_OPTION', message: /"bullmqProducer attempts" must be a positive integer/ })
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  await t.rejects(async () => await app.register(resetPassword, {
    secret: SECRET,
    verificationUrl: VERIFICATION_URL,
    users: { findByLogin: async () => [], findById: async () => null, replacePasswordHash: async () => false },
    deliver: () => {},
    producer: {} as never
  }), { code: 'FST_RESET_PASSWORD_INVALID_OPTION', message: /"producer" must have an enqueue\(job\) method/ })
})
