import t from 'tap'
import { buildApp, VERIFICATION_URL } from './helpers/app.js'
import { linkFrom } from './helpers/smtp.js'
import { hashPassword, verifyPassword } from '../lib/index.js'
import { STAND_IN } from '../lib/mail/link-requests.js'

t.test('a link is mailed to the stored address of a user found by username', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const alice = await h.addUser({ username: 'alice', email: 'alice@example.com' })
  const res = await h.post('send-reset-password-link', { login: 'alice' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { detail: 'If the login belongs to an account, a reset link was sent to its e-mail address' })
  const [mail] = await h.sink.waitForMails(1)
  t.same(mail?.to, ['alice@example.com'])
  t.equal(mail?.subject, 'Reset your password')
  const link = linkFrom(mail!)
  t.equal(`${link.origin}${link.pathname}`, VERIFICATION_URL)
  t.equal(link.searchParams.get('user_id'), alice.id)
  t.equal(link.searchParams.get('timestamp'), String(h.clock.now / 1000))
  t.match(link.searchParams.get('signature'), /^[A-Za-z0-9_-]{43}$/)
  t.match(mail?.text, /^Hello alice,/)
})

t.test('a user is found by e-mail in any case, and mail goes to the stored address, not the typed one', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  await h.addUser({ username: 'bob', email: 'Bob@Example.com' })
  const res = await h.post('send-reset-password-link', { login: 'BOB@EXAMPLE.COM' })
  t.equal(res.statusCode, 200)
  const [mail] = await h.sink.waitForMails(1)
  // nodemailer lowercases the domain; the local part shows the stored spelling was used.
  t.match(mail?.headers.get('to'), { text: /^Bob@example\.com$/ })
})

t.test('the route answers with and without the trailing slash', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  t.equal((await h.post('send-reset-password-link/', { login: 'nobody' })).statusCode, 200)
  t.equal((await h.post('reset-password/', { user_id: '1', timestamp: '1', signature: 'x', password: 'p' })).statusCode, 400)
})

t.test('an unknown login gets the same answer as a known one and no mail', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  await h.addUser({ username: 'carol', email: 'carol@example.com' })
  const known = await h.post('send-reset-password-link', { login: 'carol' })
  const unknown = await h.post('send-reset-password-link', { login: 'nobody@example.com' })
  t.equal(unknown.statusCode, known.statusCode)
  t.equal(unknown.body, known.body)
  await h.sink.waitForMails(1)
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(h.sink.mails.length, 1)
})

t.test('inactive users and users without an e-mail address get no mail', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  await h.addUser({ username: 'inactive', email: 'inactive@example.com', isActive: false })
  await h.addUser({ username: 'nomail', email: null })
  await h.addUser({ username: 'emptymail', email: '' })
  for (const login of ['inactive', 'nomail', 'emptymail']) {
    t.equal((await h.post('send-reset-password-link', { login })).statusCode, 200)
  }
  await h.app.close()
  t.equal(h.sink.mails.length, 0)
})

t.test('every active user sharing a duplicated e-mail address gets one mail', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const one = await h.addUser({ username: 'dup1', email: 'shared@example.com' })
  const two = await h.addUser({ username: 'dup2', email: 'shared@example.com' })
  await h.addUser({ username: 'dup3', email: 'shared@example.com', isActive: false })
  t.equal((await h.post('send-reset-password-link', { login: 'shared@example.com' })).statusCode, 200)
  const mails = await h.sink.waitForMails(2)
  const ids = mails.map((mail) => linkFrom(mail).searchParams.get('user_id')).sort()
  t.same(ids, [one.id, two.id].sort())
})

t.test('with failWhenUserNotFound an unknown login gets 400 FST_RESET_PASSWORD_USER_NOT_FOUND', async (t) => {
  const h = await buildApp(t, { plugin: { failWhenUserNotFound: true } })
  if (h === null) return
  await h.addUser({ username: 'dave', email: 'dave@example.com' })
  await h.addUser({ username: 'sleepy', email: 'sleepy@example.com', isActive: false })
  const res = await h.post('send-reset-password-link', { login: 'nobody' })
  t.equal(res.statusCode, 400)
  t.same(res.json(), { statusCode: 400, code: 'FST_RESET_PASSWORD_USER_NOT_FOUND', error: 'Bad Request', message: 'User not found' })
  t.equal((await h.post('send-reset-password-link', { login: 'sleepy' })).statusCode, 400)
  t.equal((await h.post('send-reset-password-link', { login: 'dave' })).statusCode, 200)
})

t.test('the login is strictly typed: no coercion, no unknown fields, 1 to 254 characters', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const bodies = [{}, { login: '' }, { login: 'x'.repeat(255) }, { login: 42 }, { login: null }, { login: ['alice'] },
    { login: { a: 1 } }, { login: true }, { login: 'alice', extra: 1 }, [], 'alice', 42, null]
  for (const body of bodies) {
    const res = await h.post('send-reset-password-link', JSON.stringify(body))
    t.equal(res.statusCode, 400, JSON.stringify(body))
    t.equal(res.json().code, 'FST_ERR_VALIDATION')
  }
  t.equal((await h.post('send-reset-password-link', { login: 'x'.repeat(254) })).statusCode, 200)
})

t.test('both routes send Cache-Control: no-store, on success and on error', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  t.equal((await h.post('send-reset-password-link', { login: 'x' })).headers['cache-control'], 'no-store')
  t.equal((await h.post('send-reset-password-link', { login: 1 })).headers['cache-control'], 'no-store')
  t.equal((await h.post('reset-password', {})).headers['cache-control'], 'no-store')
})

t.test('the locale option picks a locale per request and the templates receive it', async (t) => {
  const h = await buildApp(t, {
    plugin: {
      mail: {
        from: 'no-reply@example.com',
        locale: (request) => request.headers['accept-language']?.startsWith('fr') === true ? 'fr' : 'en',
        linkTemplate: ({ link, locale }) => locale === 'fr'
          ? { subject: 'Réinitialisez votre mot de passe', text: `Ouvrez ce lien :\n${link}\n`, html: `<p><a href="${link}">${link}</a></p>` }
          : { subject: 'Reset', text: `${link}\n`, html: `<p>${link}</p>` }
      }
    }
  })
  if (h === null) return
  await h.addUser({ username: 'zoe', email: 'zoe@example.com' })
  await h.post('send-reset-password-link', { login: 'zoe' }, { 'accept-language': 'fr-FR' })
  const [mail] = await h.sink.waitForMails(1)
  t.equal(mail?.subject, 'Réinitialisez votre mot de passe')
  t.ok(linkFrom(mail!))
})

t.test('the stand-in is shaped like a user of the default hasher with a username, and no password verifies against it', async (t) => {
  // Its link's HMAC and the template then cost what a real user's do; with an empty hash and no
  // username an unknown login's work after the reply was the cheaper.
  t.equal(STAND_IN.passwordHash.length, (await hashPassword('a password')).length)
  t.not(STAND_IN.username, null)
  for (const password of ['', 'nobody', STAND_IN.passwordHash]) t.equal(await verifyPassword(password, STAND_IN.passwordHash), false)
})

t.test('for an unknown login the link mail is rendered for a stand-in and dropped, so both paths cost the same', async (t) => {
  const rendered: Array<string | null> = []
  const h = await buildApp(t, {
    plugin: {
      mail: {
        from: 'no-reply@example.com',
        linkTemplate: ({ user, link }) => {
          rendered.push(user.email)
          if (user.email === 'nobody@example.invalid') throw new Error('a template that fails for the stand-in changes nothing')
          return { subject: 'Reset', text: `${link}\n`, html: `<p>${link}</p>` }
        }
      }
    }
  })
  if (h === null) return
  const events: string[] = []
  h.app.resetPassword.on('mailSent', ({ message }) => { events.push(`sent:${message.to}`) })
  h.app.resetPassword.on('mailFailed', ({ user }) => { events.push(`failed:${user?.id ?? 'null'}`) })
  await h.addUser({ username: 'alice', email: 'alice@example.com' })
  const known = await h.post('send-reset-password-link', { login: 'alice' })
  const unknown = await h.post('send-reset-password-link', { login: 'nobody' })
  await h.post('send-reset-password-link', { login: 'nobody@example.com' })
  t.equal(unknown.body, known.body)
  await h.sink.waitForMails(1)
  await h.app.close()
  t.same(rendered.sort(), ['alice@example.com', 'nobody@example.invalid', 'nobody@example.invalid'])
  t.same(h.sink.mails.map((mail) => mail.to[0]), ['alice@example.com'])
  t.same(events, ['sent:alice@example.com'], 'a rehearsal is never sent, retried or reported')
})
