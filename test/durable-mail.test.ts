import t from 'tap'
import nodemailer from 'nodemailer'
import { bullmqMail, mailWorker } from '../example/durable-mail.js'
import { buildApp } from './helpers/app.js'
import { userNamed } from './helpers/links.js'
import { openRedis } from './helpers/redis.js'
import { linkFrom, startSmtpSink } from './helpers/smtp.js'

t.test('mail handed to BullMQ survives the app: a worker started after the app is gone delivers it', async (t) => {
  const redis = await openRedis(t)
  if (redis === null) return
  const url = new URL(redis.url)
  const settings = {
    queue: 'reset-mail',
    prefix: redis.prefix.slice(0, -1),
    connection: { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null }
  }
  const durable = bullmqMail(settings)
  t.teardown(async () => { await durable.close() })
  const sink = await startSmtpSink(t)
  const h = await buildApp(t, { sink, plugin: { deliver: durable.deliver } })
  if (h === null) return
  await userNamed(h, 'alice')
  t.equal((await h.post('send-reset-password-link', { login: 'alice' })).statusCode, 200)
  // The app goes away (as after a crash, once deliver resolved): only Redis holds the mail now.
  await h.app.close()
  t.equal(sink.mails.length, 0)
  t.ok((await redis.keys()).some((key) => key.includes('reset-mail')), 'the job is in Redis')

  // The SMTP server is failing when the worker starts: BullMQ retries until it recovers.
  sink.fault({ kind: 'temporary' })
  const transporter = nodemailer.createTransport(sink.url)
  const worker = mailWorker({ ...settings, transporter })
  t.teardown(async () => { await worker.close(); transporter.close() })
  while (sink.attempts < 1) await new Promise((resolve) => setTimeout(resolve, 20))
  sink.fault({ kind: 'none' })
  const [mail] = await sink.waitForMails(1, 10_000)
  t.equal(linkFrom(mail!).searchParams.get('user_id') !== null, true)
})
