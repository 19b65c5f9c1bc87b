import t from 'tap'
import { buildApp, VERIFICATION_URL } from './helpers/app.js'
import { linkFrom } from './helpers/smtp.js'

t.test('a link is mailed to the stored address of a user found by username', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const alice = await h.addUser({ username: 'alice', email: 'Alice@Example.com' })
  const res = await h.post('send-reset-password-link', { login: 'alice' })
  t.equal(res.statusCode, 200)
  const [mail] = await h.sink.waitForMails(1)
  t.same(mail?.to, ['Alice@Example.com'])
  const link = linkFrom(mail!)
  t.equal(`${link.origin}${link.pathname}`, VERIFICATION_URL)
  t.equal(link.searchParams.get('user_id'), alice.id)
  t.equal(link.searchParams.get('timestamp'), String(h.clock.now / 1000))
  t.match(link.searchParams.get('signature'), /^[A-Za-z0-9_-]{43}$/)
})
