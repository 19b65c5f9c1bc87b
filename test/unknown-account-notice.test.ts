import t from 'tap'
import { buildApp } from './helpers/app.js'
import { userNamed } from './helpers/links.js'

t.test('unknown-account notices are off by default', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  await h.post('send-reset-password-link', { login: 'nobody@example.com' })
  await h.app.close()
  t.equal(h.sink.mails.length, 0)
})

t.test('an address with no account gets one notice an hour, whatever its case, and no link', async (t) => {
  const h = await buildApp(t, { plugin: { mail: { from: 'no-reply@example.com', unknownAccountNotice: true } } })
  if (h === null) return
  const kinds: Array<[string, unknown]> = []
  h.app.resetPassword.on('mailSent', ({ kind, user }) => { kinds.push([kind, user]) })
  await userNamed(h, 'alice')
  const known = await h.post('send-reset-password-link', { login: 'alice@example.com' })
  const unknown = await h.post('send-reset-password-link', { login: 'nobody@example.com' })
  t.equal(unknown.body, known.body)
  await h.post('send-reset-password-link', { login: 'NOBODY@example.com' })
  await h.post('send-reset-password-link', { login: 'not-an-address' })
  await h.post('send-reset-password-link', { login: 'two@at@example.com' })
  await h.post('send-reset-password-link', { login: 'x@example.com\r\nBcc: y@example.com' })
  const mails = await h.sink.waitForMails(2)
  const notice = mails.find((mail) => mail.subject === 'Password reset requested')!
  t.same(notice.to, ['nobody@example.com'])
  t.match(notice.text, /there is no account with it/)
  t.notMatch(notice.text, /signature=/)
  h.clock.now += 3600_000
  await h.post('send-reset-password-link', { login: 'nobody@example.com' })
  await h.app.close()
  t.equal(h.sink.mails.filter((mail) => mail.subject === 'Password reset requested').length, 2)
  t.equal(h.sink.mails.length, 3)
  t.same(kinds.filter(([kind]) => kind === 'unknown-account-notice').map(([, user]) => user), [null, null])
})

t.test('a custom unknown-account template receives the address and the locale', async (t) => {
  const h = await buildApp(t, {
    plugin: {
      mail: {
        from: 'no-reply@example.com',
        locale: () => 'de',
        unknownAccountNotice: ({ address, locale }) => ({ subject: `Kein Konto (${locale})`, text: `Kein Konto für ${address}\n`, html: '<p>Kein Konto</p>' })
      }
    }
  })
  if (h === null) return
  await h.post('send-reset-password-link', { login: 'niemand@example.com' })
  const [mail] = await h.sink.waitForMails(1)
  t.equal(mail?.subject, 'Kein Konto (de)')
  t.match(mail?.text, 'Kein Konto für niemand@example.com')
})
