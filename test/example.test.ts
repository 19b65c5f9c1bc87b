import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { DEMO_USER, openDatabase } from '../example/db.js'
import { verifyPassword } from '../lib/index.js'
import { cheapHash } from './helpers/app.js'
import { linkFrom } from './helpers/smtp.js'
import { example, type Example } from './helpers/example.js'

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789abcdef'
const NEW_PASSWORD = 'correct horse battery staple 42'

const login = async (h: Example, password: string): Promise<LightMyRequestResponse> =>
  await h.post('/api/v1/accounts/login', { login: DEMO_USER.username, password })

const sessionsOf = async (h: Example, userId: number): Promise<number> =>
  (await h.db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()).length

t.test('the pages are served with a strict content security policy and no referrer', async (t) => {
  const { app } = await example(t)
  const types = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' }
  const pages = {
    '/reset-password/': types.html,
    '/reset-password': types.html,
    '/reset-password/reset-password.js': types.js,
    '/forgot-password/': types.html,
    '/forgot-password': types.html,
    '/forgot-password/forgot-password.js': types.js,
    '/login/': types.html,
    '/login': types.html,
    '/login/login.js': types.js,
    '/assets/api.js': types.js,
    '/assets/status.js': types.js,
    '/assets/style.css': types.css,
    '/assets/favicon.svg': types.svg
  }
  for (const [url, type] of Object.entries(pages)) {
    const res = await app.inject({ url })
    t.equal(res.statusCode, 200, url)
    t.equal(res.headers['content-type'], type, url)
    t.equal(res.headers['content-security-policy'], "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'", url)
    t.equal(res.headers['referrer-policy'], 'no-referrer', url)
    t.equal(res.headers['x-content-type-options'], 'nosniff', url)
    t.equal(res.headers['cache-control'], 'no-store', url)
  }
})

t.test('the pages hold no inline script, inline style or address on another origin', async (t) => {
  const { app } = await example(t)
  for (const url of ['/reset-password/', '/forgot-password/', '/login/']) {
    const html = (await app.inject({ url })).body
    t.notMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, `${url}: every script is a file`)
    t.notMatch(html, /\sstyle=|<style|\son[a-z]+=/i, `${url}: no inline style or event handler`)
    for (const [, address] of html.matchAll(/\s(?:src|href|action)="([^"]*)"/g)) {
      t.match(address, /^\/(?!\/)/, `${url}: ${address} is a path on this origin`)
    }
  }
})

t.test('nothing outside the list of pages is served', async (t) => {
  const { app } = await example(t)
  for (const url of ['/reset-password/../pages.ts', '/reset-password/..%2fpages.ts', '/assets/%2e%2e/app.ts', '/assets/', '/public/login/index.html', '/example/app.ts', '/assets', '/reset-password/reset-password.js/']) {
    t.equal((await app.inject({ url })).statusCode, 404, url)
  }
})

t.test('a page answers the same with and without its trailing slash, the query kept for its script', async (t) => {
  const { app } = await example(t)
  for (const page of ['/reset-password', '/forgot-password', '/login']) {
    const withSlash = await app.inject({ url: `${page}/` })
    const without = await app.inject({ url: `${page}?user_id=1&timestamp=1767225600&signature=s` })
    t.equal(without.statusCode, 200, page)
    t.equal(without.body, withSlash.body, `${page} serves the page itself, not a redirect`)
  }
})

t.test("the reset page's query stays out of the access log", async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } })
  const { app } = await example(t, { logger: { level: 'info', stream } })
  const res = await app.inject({ url: '/reset-password/?user_id=1&timestamp=1767225600&signature=the-signature' })
  t.equal(res.statusCode, 200)
  const requests = lines.map((line) => JSON.parse(line) as { req?: { url: string } }).filter((entry) => entry.req !== undefined)
  t.same(requests.map((entry) => entry.req?.url), ['/reset-password/'])
  t.notMatch(lines.join(''), 'the-signature')
})

t.test('the site root leads to the login page', async (t) => {
  const { app } = await example(t)
  const res = await app.inject({ url: '/' })
  t.equal(res.statusCode, 302)
  t.equal(res.headers.location, '/login/')
})

t.test('a password reset revokes every session of the user and only theirs', async (t) => {
  const h = await example(t)
  t.equal((await login(h, DEMO_USER.password)).statusCode, 200)
  t.equal((await login(h, DEMO_USER.password)).statusCode, 200)
  const other = await h.db.insertInto('users').values({ username: 'other', email: 'other@example.com', password_hash: await cheapHash('other-password-1') }).executeTakeFirstOrThrow()
  await h.db.insertInto('sessions').values({ id: 'session-of-another-user', user_id: Number(other.insertId), created_at: Date.now() }).execute()
  t.equal(await sessionsOf(h, 1), 2)

  t.equal((await h.post('/api/v1/accounts/send-reset-password-link', { login: DEMO_USER.email })).statusCode, 200)
  const [mail] = await h.sink.waitForMails(1)
  const link = Object.fromEntries(linkFrom(mail!).searchParams)
  const reset = await h.post('/api/v1/accounts/reset-password', { ...link, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD })
  t.equal(reset.statusCode, 200)

  t.equal(await sessionsOf(h, 1), 0, "the user's sessions are gone")
  t.equal(await sessionsOf(h, Number(other.insertId)), 1, "another user's session stays")
  t.equal((await login(h, DEMO_USER.password)).statusCode, 401, 'the old password no longer logs in')
  t.equal((await login(h, NEW_PASSWORD)).statusCode, 200, 'the new one does')
})

t.test('the login refuses an unknown login and a wrong password alike', async (t) => {
  const h = await example(t)
  const unknown = await h.post('/api/v1/accounts/login', { login: 'nobody', password: DEMO_USER.password })
  const wrong = await login(h, 'not-the-password')
  t.equal(unknown.statusCode, 401)
  t.same(unknown.json(), wrong.json())
})

t.test('the login matches an e-mail address whatever its case, as send-link does, and a username exactly', async (t) => {
  const h = await example(t)
  for (const login of [DEMO_USER.email, 'Demo@Example.COM', 'DEMO@EXAMPLE.COM']) {
    t.equal((await h.post('/api/v1/accounts/login', { login, password: DEMO_USER.password })).statusCode, 200, login)
  }
  t.equal((await h.post('/api/v1/accounts/login', { login: 'DEMO', password: DEMO_USER.password })).statusCode, 401, 'usernames are exact')
  t.equal((await h.post('/api/v1/accounts/login', { login: `${DEMO_USER.email} `, password: DEMO_USER.password })).statusCode, 401, 'nothing is trimmed')
})

t.test('the login refuses an inactive user, even with the right password', async (t) => {
  const h = await example(t)
  await h.db.insertInto('users').values({ username: 'gone', email: 'gone@example.com', password_hash: await cheapHash('gone-password-1'), is_active: 0 }).execute()
  t.equal((await h.post('/api/v1/accounts/login', { login: 'gone', password: 'gone-password-1' })).statusCode, 401)
})

t.test('a fresh database gives the demo user its first password again', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'fastify-reset-password-example-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const database = join(dir, 'example.sqlite')
  const first = await openDatabase(database, { hash: cheapHash })
  await first.updateTable('users').set({ password_hash: await cheapHash(NEW_PASSWORD) }).execute()
  await first.destroy()
  const kept = await openDatabase(database, { hash: cheapHash })
  t.ok(await verifyPassword(NEW_PASSWORD, (await kept.selectFrom('users').select('password_hash').executeTakeFirstOrThrow()).password_hash), 'kept without fresh')
  await kept.destroy()
  const fresh = await openDatabase(database, { fresh: true, hash: cheapHash })
  t.teardown(async () => { await fresh.destroy() })
  t.ok(await verifyPassword(DEMO_USER.password, (await fresh.selectFrom('users').select('password_hash').executeTakeFirstOrThrow()).password_hash), 'the demo password again')
})

t.test('an admin sends a user a reset link by id', async (t) => {
  const h = await example(t, { adminToken: ADMIN_TOKEN })
  const res = await h.post('/api/v1/admin/users/1/send-reset-link', undefined, { authorization: `Bearer ${ADMIN_TOKEN}` })
  t.equal(res.statusCode, 202)
  const [mail] = await h.sink.waitForMails(1)
  t.same(mail?.to, [DEMO_USER.email])
  t.equal(linkFrom(mail!).searchParams.get('user_id'), '1')
})

t.test('the admin route refuses a request without the admin token', async (t) => {
  const h = await example(t, { adminToken: ADMIN_TOKEN })
  for (const authorization of [undefined, ADMIN_TOKEN, `Bearer ${ADMIN_TOKEN}x`, 'Bearer ']) {
    const res = await h.post('/api/v1/admin/users/1/send-reset-link', undefined, authorization === undefined ? {} : { authorization })
    t.equal(res.statusCode, 401, String(authorization))
    t.equal(res.headers['www-authenticate'], 'Bearer')
  }
  t.equal(h.sink.attempts, 0, 'no mail was sent')
})

t.test('the admin route says why no link can be sent', async (t) => {
  const h = await example(t, { adminToken: ADMIN_TOKEN })
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }
  const hash = await cheapHash('some-password-1')
  const inactive = await h.db.insertInto('users').values({ username: 'gone', email: 'gone@example.com', password_hash: hash, is_active: 0 }).executeTakeFirstOrThrow()
  const mailless = await h.db.insertInto('users').values({ username: 'mailless', email: null, password_hash: hash }).executeTakeFirstOrThrow()
  t.equal((await h.post('/api/v1/admin/users/999/send-reset-link', undefined, auth)).statusCode, 404, 'unknown user')
  t.equal((await h.post('/api/v1/admin/users/abc/send-reset-link', undefined, auth)).statusCode, 400, 'malformed id')
  t.equal((await h.post(`/api/v1/admin/users/${String(inactive.insertId)}/send-reset-link`, undefined, auth)).statusCode, 409, 'inactive user')
  t.equal((await h.post(`/api/v1/admin/users/${String(mailless.insertId)}/send-reset-link`, undefined, auth)).statusCode, 409, 'user without e-mail')
  t.equal(h.sink.attempts, 0, 'no mail was sent')
})

t.test('the admin route does not exist without an admin token', async (t) => {
  for (const adminToken of [undefined, '']) {
    const h = await example(t, { adminToken })
    t.equal((await h.post('/api/v1/admin/users/1/send-reset-link', undefined, { authorization: 'Bearer ' })).statusCode, 404)
  }
})

t.test('without an SMTP URL, mail is printed to the console', async (t) => {
  const printed = t.capture(console, 'log')
  const h = await example(t, { smtpUrl: undefined, logger: undefined, secret: undefined })
  t.equal((await h.post('/api/v1/accounts/send-reset-password-link', { login: DEMO_USER.username })).statusCode, 200)
  await h.app.close()
  const [text] = printed.args().map(([line]) => String(line))
  t.match(text, `--- mail to ${DEMO_USER.email}`)
  t.match(text, 'http://127.0.0.1:3000/reset-password/?user_id=1&timestamp=')
})
