import t from 'tap'
import { buildApp } from './helpers/app.js'
import { userNamed } from './helpers/links.js'

type Failure = { kind: string, attempts: number, error: Error, reason: string }

t.test('a temporary SMTP failure is retried and delivered when the server recovers', async (t) => {
  const h = await buildApp(t, { plugin: { queue: { attempts: 10, retryDelay: 50, maxRetryDelay: 100 } } })
  if (h === null) return
  await userNamed(h, 'alice')
  h.sink.fault({ kind: 'temporary' })
  const sent: number[] = []
  h.app.resetPassword.on('mailSent', ({ attempts }) => { sent.push(attempts) })
  t.equal((await h.post('send-reset-password-link', { login: 'alice' })).statusCode, 200)
  while (h.sink.attempts < 2) await new Promise((resolve) => setTimeout(resolve, 20))
  h.sink.fault({ kind: 'none' })
  await h.sink.waitForMails(1)
  await h.app.close()
  t.equal(sent.length, 1)
  t.ok(sent[0]! >= 3, `delivered on attempt ${sent[0]}`)
})

t.test('a permanent 5xx is reported once and not retried', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  await userNamed(h, 'alice')
  h.sink.fault({ kind: 'permanent', code: 550 })
  const failed: Failure[] = []
  h.app.resetPassword.on('mailFailed', (event) => { failed.push(event) })
  t.equal((await h.post('send-reset-password-link', { login: 'alice' })).statusCode, 200)
  await h.app.close()
  t.equal(failed.length, 1)
  t.equal(failed[0]!.attempts, 1)
  t.equal(failed[0]!.kind, 'link')
  t.equal((failed[0]!.error as { responseCode?: number }).responseCode, 550)
  t.equal(h.sink.attempts, 1)
})

t.test('after the configured attempts a failing mail is reported with its attempt count', async (t) => {
  const h = await buildApp(t, { plugin: { queue: { attempts: 3, retryDelay: 10, maxRetryDelay: 20 } } })
  if (h === null) return
  await userNamed(h, 'alice')
  h.sink.fault({ kind: 'refuse' })
  const failed: Failure[] = []
  const done = new Promise<void>((resolve) => h.app.resetPassword.on('mailFailed', (event) => { failed.push(event); resolve() }))
  await h.post('send-reset-password-link', { login: 'alice' })
  await done
  t.equal(failed[0]!.attempts, 3)
  t.equal(h.sink.attempts, 3)
})

t.test('while SMTP is down send-link answers as usual', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  await userNamed(h, 'alice')
  const up = await h.post('send-reset-password-link', { login: 'alice' })
  await h.sink.waitForMails(1)
  h.sink.fault({ kind: 'refuse' })
  const down = await h.post('send-reset-password-link', { login: 'alice' })
  t.equal(down.statusCode, up.statusCode)
  t.equal(down.body, up.body)
})

t.test('close() waits for queued and in-flight mail while the SMTP server is slow', async (t) => {
  const h = await buildApp(t, { plugin: { queue: { concurrency: 2 } } })
  if (h === null) return
  for (let i = 0; i < 6; i++) await userNamed(h, `user${i}`)
  h.sink.fault({ kind: 'slow', delayMs: 150 })
  for (let i = 0; i < 6; i++) await h.post('send-reset-password-link', { login: `user${i}` })
  await h.app.close()
  t.equal(h.sink.mails.length, 6)
})

t.test('close() gives up after closeTimeout on queued and in-flight mail alike: each is reported once, as closed', async (t) => {
  const failed: Failure[] = []
  const sent: string[] = []
  let calls = 0
  let release = (): void => {}
  const released = new Promise<void>((resolve) => { release = resolve })
  const h = await buildApp(t, {
    plugin: {
      queue: { closeTimeout: 200, concurrency: 1, attempts: 5 },
      // The first delivery hangs past the deadline and succeeds only when the test says so; the second never starts.
      deliver: async () => {
        calls++
        await released
      }
    }
  })
  if (h === null) return
  h.app.resetPassword.on('mailFailed', (event) => { failed.push(event) })
  h.app.resetPassword.on('mailSent', ({ message }) => { sent.push(message.to) })
  await userNamed(h, 'alice')
  await userNamed(h, 'bob')
  await h.post('send-reset-password-link', { login: 'alice' })
  await h.post('send-reset-password-link', { login: 'bob' })
  while (calls < 1) await new Promise((resolve) => setTimeout(resolve, 10))
  await h.app.close()
  t.same(failed.map(({ reason }) => reason), ['closed', 'closed'], 'both reported by the time close() resolved')
  t.same(failed.map(({ attempts }) => attempts).sort(), [0, 1], 'the queued one never started; the one in flight had started')
  t.match(failed[0]!.error.message, /closed before the mail could be sent/)
  release()
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(failed.length, 2, 'the late end of the delivery in flight is not reported')
  t.equal(calls, 1)
  t.same(sent, [])
})

t.test('close() reports neither a stand-in mail nor the late failure of a mail it already gave up on', async (t) => {
  const failed: Failure[] = []
  let calls = 0
  let release = (): void => {}
  const released = new Promise<void>((resolve) => { release = resolve })
  const h = await buildApp(t, {
    plugin: {
      queue: { closeTimeout: 100, concurrency: 1, attempts: 1 },
      deliver: async () => {
        calls++
        await released
        throw new Error('SMTP went away')
      }
    }
  })
  if (h === null) return
  h.app.resetPassword.on('mailFailed', (event) => { failed.push(event) })
  await userNamed(h, 'alice')
  await h.post('send-reset-password-link', { login: 'alice' })
  // No account: a stand-in mail waits behind alice's, to be built and dropped.
  await h.post('send-reset-password-link', { login: 'nobody' })
  while (calls < 1) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(h.app.resetPassword.queueStats().depth, 2)
  await h.app.close()
  release()
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.same(failed.map(({ reason, attempts }) => ({ reason, attempts })), [{ reason: 'closed', attempts: 1 }])
})

t.test('a mail whose template is still being built when close() gives up is reported once and never handed over', async (t) => {
  const failed: Failure[] = []
  let delivered = 0
  let building = false
  let release = (): void => {}
  const h = await buildApp(t, {
    plugin: {
      queue: { closeTimeout: 50 },
      deliver: () => { delivered++ },
      mail: {
        from: 'no-reply@example.com',
        linkTemplate: async ({ link }) => {
          building = true
          await new Promise<void>((resolve) => { release = resolve })
          return { subject: 'Reset', text: link, html: link }
        }
      }
    }
  })
  if (h === null) return
  h.app.resetPassword.on('mailFailed', (event) => { failed.push(event) })
  await userNamed(h, 'alice')
  await h.post('send-reset-password-link', { login: 'alice' })
  while (!building) await new Promise((resolve) => setTimeout(resolve, 10))
  await h.app.close()
  t.same(failed.map(({ reason }) => reason), ['closed'])
  release()
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(delivered, 0)
  t.equal(failed.length, 1)
})

t.test('a mail queued after close() is reported at once as closed, and never sent', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const alice = await userNamed(h, 'alice')
  const failed: Failure[] = []
  h.app.resetPassword.on('mailFailed', (event) => { failed.push(event) })
  await h.app.close()
  const user = await h.app.resetPassword.users.findById(alice.id)
  t.equal(h.app.resetPassword.sendLink(user!), true)
  t.same(failed.map(({ reason, attempts }) => ({ reason, attempts })), [{ reason: 'closed', attempts: 0 }])
  t.equal(h.sink.mails.length, 0)
  t.same(h.app.resetPassword.queueStats(), { waiting: 0, inFlight: 0, depth: 0, oldestAgeMs: 0, sent: 0, failed: 1 })
})

t.test('failures say why: permanent for a 5xx, exhausted once every attempt failed', async (t) => {
  const h = await buildApp(t, { plugin: { queue: { attempts: 2, retryDelay: 5, maxRetryDelay: 10 } } })
  if (h === null) return
  await userNamed(h, 'alice')
  const failed: Failure[] = []
  h.app.resetPassword.on('mailFailed', (event) => { failed.push(event) })
  h.sink.fault({ kind: 'permanent', code: 550 })
  await h.post('send-reset-password-link', { login: 'alice' })
  while (failed.length < 1) await new Promise((resolve) => setTimeout(resolve, 10))
  h.sink.fault({ kind: 'temporary' })
  await h.post('send-reset-password-link', { login: 'alice' })
  while (failed.length < 2) await new Promise((resolve) => setTimeout(resolve, 10))
  t.same(failed.map(({ reason, attempts }) => ({ reason, attempts })), [{ reason: 'permanent', attempts: 1 }, { reason: 'exhausted', attempts: 2 }])
})

t.test('while closing, a failed delivery is retried at once instead of after its backoff', async (t) => {
  let calls = 0
  const sent: number[] = []
  const h = await buildApp(t, {
    plugin: {
      queue: { closeTimeout: 5000, retryDelay: 60_000, maxRetryDelay: 60_000 },
      deliver: async () => {
        calls++
        await new Promise((resolve) => setTimeout(resolve, 100))
        if (calls === 1) throw new Error('try again')
      }
    }
  })
  if (h === null) return
  h.app.resetPassword.on('mailSent', ({ attempts }) => { sent.push(attempts) })
  await userNamed(h, 'alice')
  await h.post('send-reset-password-link', { login: 'alice' })
  while (calls < 1) await new Promise((resolve) => setTimeout(resolve, 10))
  const started = Date.now()
  await h.app.close()
  t.ok(Date.now() - started < 2000, 'the 60 s backoff was cut short')
  t.same(sent, [2])
})

t.test('close() cuts a pending backoff short and delivers the mail', async (t) => {
  let calls = 0
  const sent: number[] = []
  const h = await buildApp(t, {
    plugin: {
      queue: { retryDelay: 60_000, maxRetryDelay: 60_000 },
      deliver: async () => { if (++calls === 1) throw new Error('try again') }
    }
  })
  if (h === null) return
  h.app.resetPassword.on('mailSent', ({ attempts }) => { sent.push(attempts) })
  await userNamed(h, 'alice')
  await h.post('send-reset-password-link', { login: 'alice' })
  while (calls < 1) await new Promise((resolve) => setTimeout(resolve, 10))
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.same(sent, [], 'the retry waits at least 30 s')
  const started = Date.now()
  await h.app.close()
  t.ok(Date.now() - started < 2000)
  t.same(sent, [2])
})

t.test('no more deliveries run at once than queue.concurrency', async (t) => {
  let running = 0
  let most = 0
  const h = await buildApp(t, {
    plugin: {
      queue: { concurrency: 3 },
      deliver: async () => {
        most = Math.max(most, ++running)
        await new Promise((resolve) => setTimeout(resolve, 30))
        running--
      }
    }
  })
  if (h === null) return
  for (let i = 0; i < 10; i++) await userNamed(h, `user${i}`)
  for (let i = 0; i < 10; i++) await h.post('send-reset-password-link', { login: `user${i}` })
  await h.app.close()
  t.equal(most, 3)
})

t.test('a deliver function that throws a non-Error is retried and reported as an Error', async (t) => {
  const failed: Failure[] = []
  const h = await buildApp(t, {
    plugin: {
      queue: { attempts: 2, retryDelay: 5 },
      deliver: () => { throw 'down' } // eslint-disable-line no-throw-literal
    }
  })
  if (h === null) return
  h.app.resetPassword.on('mailFailed', (event) => { failed.push(event) })
  await userNamed(h, 'alice')
  await h.post('send-reset-password-link', { login: 'alice' })
  await h.app.close()
  t.equal(failed[0]!.attempts, 2)
  t.equal(failed[0]!.error.message, 'down')
})

t.test('a queue of high concurrency sending through the pooled transport warns of no listener leak', async (t) => {
  const warnings: Error[] = []
  const onWarning = (warning: Error): void => { warnings.push(warning) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  const h = await buildApp(t, { plugin: { queue: { concurrency: 16 } } })
  if (h === null) return
  // Slow enough that every mail is in flight at once.
  h.sink.fault({ kind: 'slow', delayMs: 200 })
  for (let i = 0; i < 20; i++) await userNamed(h, `user${i}`)
  for (let i = 0; i < 20; i++) await h.post('send-reset-password-link', { login: `user${i}` })
  await h.sink.waitForMails(20)
  t.same(warnings.map((warning) => warning.name), [])
})
