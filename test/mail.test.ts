import t from 'tap'
import nodemailer from 'nodemailer'
import { buildApp, NEW_PASSWORD } from './helpers/app.js'
import { mailedLink, userNamed } from './helpers/links.js'
import { linkFrom } from './helpers/smtp.js'
import type { MailMessage, ResetPasswordUser } from '../lib/index.js'

t.test('the default mail holds the same single link in its text and HTML parts', async (t) => {
  const h = await buildApp(t, { plugin: { mail: { from: 'Accounts <no-reply@example.com>', replyTo: 'support@example.com' } } })
  if (h === null) return
  await userNamed(h, 'alice')
  await h.post('send-reset-password-link', { login: 'alice' })
  const [mail] = await h.sink.waitForMails(1)
  const link = linkFrom(mail!)
  t.ok(mail!.text.split('\n').includes(link.href), 'the link stands on its own line')
  t.match(mail!.headers.get('reply-to'), { text: 'support@example.com' })
  t.match(mail!.headers.get('from'), { value: [{ name: 'Accounts', address: 'no-reply@example.com' }] })
  t.match(mail!.text, /expires at 2026-01-01T01:00:00.000Z/)
})

t.test('user values are escaped in HTML and cannot inject headers', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  await h.addUser({ username: '<b>eve</b>&"\'\r\nBcc: victim@example.com', email: 'eve@example.com' })
  await h.post('send-reset-password-link', { login: 'eve@example.com' })
  const [mail] = await h.sink.waitForMails(1)
  t.match(mail!.html, '&lt;b&gt;eve&lt;/b&gt;&amp;&quot;&#39;')
  t.notMatch(mail!.html, '<b>eve')
  t.equal(mail!.headers.get('bcc'), undefined)
  t.same(mail!.to, ['eve@example.com'])
})

t.test('after a reset the user gets a "password changed" notice with no link', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  t.equal((await h.post('reset-password', { ...link, password: NEW_PASSWORD })).statusCode, 200)
  const mails = await h.sink.waitForMails(2)
  const notice = mails[1]!
  t.equal(notice.subject, 'Your password was changed')
  t.match(notice.text, /changed at 2026-01-01T00:00:00.000Z/)
  t.match(notice.text, /If this was not you/)
  t.notMatch(notice.text, /signature=/)
  t.notMatch(notice.html, /href/)
})

t.test('changedNotice: false sends no notice', async (t) => {
  const h = await buildApp(t, { plugin: { mail: { from: 'no-reply@example.com', changedNotice: false } } })
  if (h === null) return
  await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  t.equal((await h.post('reset-password', { ...link, password: NEW_PASSWORD })).statusCode, 200)
  await h.app.close()
  t.equal(h.sink.mails.length, 1)
})

t.test('a deliver function replaces nodemailer and receives the message and the user', async (t) => {
  const delivered: Array<[MailMessage, ResetPasswordUser | null]> = []
  const h = await buildApp(t, { plugin: { deliver: async (message, user) => { delivered.push([message, user]) } } })
  if (h === null) return
  const alice = await userNamed(h, 'alice')
  await h.post('send-reset-password-link', { login: 'alice' })
  await h.app.close()
  t.equal(delivered.length, 1)
  const [message, user] = delivered[0]!
  t.equal(user?.id, alice.id)
  t.equal(message.to, 'alice@example.com')
  t.equal(message.from, 'no-reply@example.com')
  t.match(message.text, /signature=/)
  t.equal(h.sink.mails.length, 0)
})

t.test('events: linkCreated, mailSent and passwordReset carry their payloads; a failing listener changes nothing', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const seen: string[] = []
  const api = h.app.resetPassword
  api.on('linkCreated', ({ user, link, expiresAt }) => { seen.push(`linkCreated:${user.username}:${link.includes('signature=')}:${expiresAt.toISOString()}`) })
  api.on('linkCreated', () => { throw new Error('listener bug') })
  api.on('mailSent', async ({ kind, attempts, message }) => { seen.push(`mailSent:${kind}:${attempts}:${message.to}`) })
  api.on('mailSent', async () => { throw new Error('async listener bug') })
  api.on('passwordReset', ({ user }) => { seen.push(`passwordReset:${user.username}`) })
  api.on('passwordReset', () => { throw new Error('listener bug') })
  const once = (): void => { seen.push('once') }
  api.once('passwordReset', once)
  const off = (): void => { seen.push('off') }
  api.on('passwordReset', off)
  api.off('passwordReset', off)
  await userNamed(h, 'alice')
  const link = await mailedLink(h, 'alice')
  t.equal((await h.post('reset-password', { ...link, password: NEW_PASSWORD })).statusCode, 200)
  await h.sink.waitForMails(2)
  await h.app.close()
  t.same(seen, [
    'linkCreated:alice:true:2026-01-01T01:00:00.000Z',
    'mailSent:link:1:alice@example.com',
    'passwordReset:alice',
    'once',
    'mailSent:changed-notice:1:alice@example.com'
  ])
})

t.test('sendLink from app code mails an eligible user and ignores an inactive one', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const alice = await userNamed(h, 'alice')
  const user = await h.app.resetPassword.users.findById(alice.id)
  t.equal(h.app.resetPassword.sendLink(user!), true)
  t.equal(h.app.resetPassword.sendLink({ ...user!, isActive: false }), false)
  t.equal(h.app.resetPassword.sendLink({ ...user!, email: null }), false)
  const [mail] = await h.sink.waitForMails(1)
  t.equal(linkFrom(mail!).searchParams.get('user_id'), alice.id)
  await h.app.close()
  t.equal(h.sink.mails.length, 1)
})

t.test('a transport the app passed in is not closed by the plugin', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const transporter = nodemailer.createTransport(h.sink.url)
  let closed = false
  transporter.on('idle', () => {})
  const close = transporter.close.bind(transporter)
  transporter.close = () => { closed = true; close() }
  const other = await buildApp(t, { sink: h.sink, plugin: { mail: { from: 'a@example.com', transport: transporter } } })
  await userNamed(other!, 'alice')
  await other!.post('send-reset-password-link', { login: 'alice' })
  await h.sink.waitForMails(1)
  await other!.app.close()
  t.notOk(closed)
  close()
})

t.test('an SMTP URL that sets pool or socketCloseTimeout itself keeps its choice', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const own = await buildApp(t, { sink: h.sink, plugin: { mail: { from: 'a@example.com', transport: `${h.sink.url}/?pool=false&socketCloseTimeout=1000` } } })
  await userNamed(own!, 'alice')
  await userNamed(own!, 'bob')
  await own!.post('send-reset-password-link', { login: 'alice' })
  await own!.post('send-reset-password-link', { login: 'bob' })
  t.equal((await h.sink.waitForMails(2)).length, 2)
})
