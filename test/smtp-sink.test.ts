import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import nodemailer, { type SendMailOptions } from 'nodemailer'
import t from 'tap'
import { linkFrom, startSmtpSink, type ReceivedMail, type SmtpSink } from './helpers/smtp.js'

const envelope = { from: 'no-reply@example.com', to: 'alice@example.com' }

function send (sink: SmtpSink, message: SendMailOptions = { ...envelope, subject: 'Hello', text: 'Hi' }): Promise<unknown> {
  return nodemailer.createTransport(sink.url).sendMail(message)
}

// The sink stores a mail before it answers 250, so it is there once sendMail resolves.
async function deliver (sink: SmtpSink, message: SendMailOptions): Promise<ReceivedMail> {
  await send(sink, message)
  return sink.mails.at(-1) as ReceivedMail
}

// Writes one command and reads up to the last line of its reply (`250 ...`, not `250-...`).
async function converse (socket: Socket, command?: string): Promise<string> {
  if (command !== undefined) socket.write(`${command}\r\n`)
  let reply = ''
  while (!/(^|\n)\d{3} [^\n]*\r\n$/.test(reply)) reply += String((await once(socket, 'data'))[0])
  return reply
}

t.test('a mail sent with nodemailer arrives parsed, with its envelope and raw source', async t => {
  const sink = await startSmtpSink(t)
  t.match(sink.url, /^smtp:\/\/127\.0\.0\.1:\d+$/)
  t.equal(sink.url, `smtp://127.0.0.1:${sink.port}`)

  const mail = await deliver(sink, { ...envelope, to: ['alice@example.com', 'bob@example.com'], subject: 'Reset', text: 'Plain', html: '<p>Rich</p>' })

  t.equal(mail.from, 'no-reply@example.com')
  t.same(mail.to, ['alice@example.com', 'bob@example.com'])
  t.equal(mail.subject, 'Reset')
  t.equal(mail.text.trim(), 'Plain')
  t.equal(mail.html.trim(), '<p>Rich</p>')
  t.equal(mail.headers.get('subject'), 'Reset')
  t.match(mail.raw, /^Subject: Reset\r$/m)
  t.same(await sink.waitForMails(1), [mail])
})

t.test('a mail without subject or body arrives with empty strings, not undefined', async t => {
  const sink = await startSmtpSink(t)
  const mail = await deliver(sink, envelope)
  t.equal(mail.subject, '')
  t.equal(mail.text, '')
  t.equal(mail.html, '')
})

t.test('waitForMails waits for mails that are still on their way', async t => {
  const sink = await startSmtpSink(t)
  const sending = Promise.all([1, 2].map(n => send(sink, { ...envelope, subject: `#${n}`, text: 'Hi' })))
  const mails = await sink.waitForMails(2)
  t.same(mails.map(mail => mail.subject).sort(), ['#1', '#2'])
  await sending
})

t.test('waitForMails rejects with the count and the time waited when mails do not come', async t => {
  const sink = await startSmtpSink(t)
  await t.rejects(sink.waitForMails(1, 50), { message: 'SMTP sink: waited 50 ms for 1 mail(s), 0 arrived' })
})

t.test('a temporary fault answers the message with 451 unless given another code', async t => {
  const sink = await startSmtpSink(t)
  sink.fault({ kind: 'temporary' })
  await t.rejects(send(sink), { code: 'EMESSAGE', command: 'DATA', responseCode: 451, permanent: false })
  sink.fault({ kind: 'temporary', code: 452 })
  await t.rejects(send(sink), { code: 'EMESSAGE', responseCode: 452, permanent: false })
  t.same(sink.mails, [])
})

t.test('a permanent fault answers the message with 550 unless given another code', async t => {
  const sink = await startSmtpSink(t)
  sink.fault({ kind: 'permanent' })
  await t.rejects(send(sink), { code: 'EMESSAGE', command: 'DATA', responseCode: 550, permanent: true })
  sink.fault({ kind: 'permanent', code: 554 })
  await t.rejects(send(sink), { code: 'EMESSAGE', responseCode: 554, permanent: true })
  t.same(sink.mails, [])
})

t.test('a refusing sink greets with 421 and hangs up, so the client fails before sending anything', async t => {
  const sink = await startSmtpSink(t)
  sink.fault({ kind: 'refuse' })
  await t.rejects(send(sink), { code: 'EPROTOCOL', command: 'CONN', responseCode: 421, permanent: false })
  t.same(sink.mails, [])
})

t.test('a slow sink accepts the message only after delayMs', async t => {
  const sink = await startSmtpSink(t)
  sink.fault({ kind: 'slow', delayMs: 400 })
  const sending = send(sink)
  await t.rejects(sink.waitForMails(1, 200), { message: /0 arrived/ })
  await sending
  t.equal(sink.mails.length, 1)
})

t.test('switching the fault back to none delivers again', async t => {
  const sink = await startSmtpSink(t)
  sink.fault({ kind: 'temporary' })
  await t.rejects(send(sink))
  sink.fault({ kind: 'none' })
  await send(sink)
  t.equal(sink.mails.length, 1)
})

t.test('attempts counts every message offered, accepted or not, and every refused session', async t => {
  const sink = await startSmtpSink(t)
  t.equal(sink.attempts, 0)
  await send(sink)
  sink.fault({ kind: 'permanent' })
  await t.rejects(send(sink))
  sink.fault({ kind: 'refuse' })
  await t.rejects(send(sink))
  t.equal(sink.attempts, 3)
  t.equal(sink.mails.length, 1)
})

t.test('a client that resets the connection mid-transaction does not take the sink down', async t => {
  const sink = await startSmtpSink(t)
  const socket = connect(sink.port, '127.0.0.1')
  await converse(socket)
  await converse(socket, 'EHLO client.example.com')
  t.match(await converse(socket, 'MAIL FROM:<no-reply@example.com>'), /^250 /)
  socket.resetAndDestroy()

  await send(sink)
  t.equal(sink.mails.length, 1)
})

const link = 'https://app.example.com/reset-password?email=alice%40example.com&expires=1700000000&signature=c2lnbmF0dXJlLW9mLXRoZS1saW5rLWxvbmdlci10aGFuLWEtbWltZS1saW5l'
const otherLink = link.replace('signature=', 'signature=x')
const escaped = (href: string): string => href.replaceAll('&', '&amp;')

t.test('linkFrom returns the signed link that the text and html parts share', async t => {
  const sink = await startSmtpSink(t)
  // Longer than a MIME line, so it only survives if soft line breaks are undone.
  const mail = await deliver(sink, {
    ...envelope,
    text: `Reset your password: ${link}\nHelp: https://example.com/help`,
    html: `<a href="${escaped(link)}">${escaped(link)}</a> <a href="https://example.com/help">Help</a>`
  })
  const url = linkFrom(mail)
  t.equal(url.href, link)
  t.equal(url.searchParams.get('email'), 'alice@example.com')
})

t.test('linkFrom throws when the text part holds no signed link', async t => {
  const sink = await startSmtpSink(t)
  const mail = await deliver(sink, { ...envelope, text: 'No link here' })
  t.throws(() => linkFrom(mail), { message: 'linkFrom: expected one signed link in the text part, found 0' })
})

t.test('linkFrom throws when the text part holds two different signed links', async t => {
  const sink = await startSmtpSink(t)
  const mail = await deliver(sink, { ...envelope, text: `${link}\n${otherLink}`, html: `<a href="${escaped(link)}">Reset</a>` })
  t.throws(() => linkFrom(mail), { message: 'linkFrom: expected one signed link in the text part, found 2' })
})

t.test('linkFrom throws when the html part links elsewhere or nowhere', async t => {
  const sink = await startSmtpSink(t)
  const elsewhere = await deliver(sink, { ...envelope, text: link, html: `<a href="${escaped(otherLink)}">Reset</a>` })
  t.throws(() => linkFrom(elsewhere), { message: `linkFrom: text part links to ${link}, html part to ${otherLink}` })
  const nowhere = await deliver(sink, { ...envelope, text: link })
  t.throws(() => linkFrom(nowhere), { message: `linkFrom: text part links to ${link}, html part to nothing` })
})
