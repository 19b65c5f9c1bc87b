import t from 'tap'
import { verifyPassword } from '../lib/index.js'
import { dialects } from './helpers/db.js'
import { buildApp, NEW_PASSWORD } from './helpers/app.js'
import { mailedLink, userNamed } from './helpers/links.js'

for (const dialect of dialects) {
  t.test(`on ${dialect}, the whole workflow runs and 20 concurrent resets with one link give exactly one success`, async (t) => {
    const h = await buildApp(t, { dialect })
    if (h === null) return
    const user = await userNamed(h, 'alice')
    await h.addUser({ username: 'Bob', email: 'Bob@Example.com' })
    const link = await mailedLink(h, 'alice')
    t.equal((await h.post('send-reset-password-link', { login: 'bob@example.com' })).statusCode, 200)
    t.equal((await h.post('send-reset-password-link', { login: 'BOB' })).statusCode, 200)

    const passwords = Array.from({ length: 20 }, (_, i) => `${NEW_PASSWORD}-${i}`)
    const results = await Promise.all(passwords.map(async (password) => await h.post('reset-password', { ...link, password })))
    const codes = results.map((res) => res.statusCode)
    t.equal(codes.filter((code) => code === 200).length, 1, 'one success')
    t.ok(results.filter((res) => res.statusCode !== 200).every((res) => res.json().code === 'FST_RESET_PASSWORD_INVALID_SIGNATURE'))
    const winner = passwords[codes.indexOf(200)]!
    t.ok(await verifyPassword(winner, await h.hashOf(user.id)), 'the stored hash is the winner\'s')

    // Mailed: alice's link, bob's link (to the stored spelling; nodemailer lowercases only the domain)
    // and alice's notice. 'BOB' is no username (exact match) and no e-mail, so it mails nobody.
    await h.app.close()
    t.same(h.sink.mails.map((mail) => mail.to[0]).sort(), ['Bob@example.com', 'alice@example.com', 'alice@example.com'])
  })
}
