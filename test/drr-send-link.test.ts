// django-rest-registration 0.9's tests of the send-reset-password-link view
// (tests/unit_tests/api/views/reset_password/test_send_reset_password_link.py), ported to the
// plugin's compat mode, each titled after the upstream test. Not ported: the tests of settings the
// plugin has no counterpart for (USER_VERIFICATION_ID_FIELD, RESET_PASSWORD_VERIFICATION_ENABLED,
// the deprecated serializer class); docs/migrating-from-django-rest-registration.md says what replaces them.
import t, { type Test } from 'tap'
import resetPassword, { kyselyUsers, type ResetPasswordOptions, type UserAdapter } from '../lib/index.js'
import { buildApp, PREFIX, SECRET, VERIFICATION_URL, type TestApp, type TestUser } from './helpers/app.js'
import { linkFrom, type ReceivedMail } from './helpers/smtp.js'
import Fastify from 'fastify'

const COMPAT = { compat: 'django-rest-registration' } as const
const SENT = { detail: 'Reset link sent' }
const SENT_IF_FOUND = { detail: 'Reset link sent if the user exists in database' }
const NOT_FOUND = { detail: 'User not found' }

async function compatApp (t: Test, plugin: Partial<ResetPasswordOptions> = {}): Promise<TestApp> {
  return await buildApp(t, { plugin: { ...COMPAT, ...plugin } }) as TestApp
}

/** Every queued mail delivered: closing the app flushes the queue (teardown closes it again, harmlessly). */
async function delivered (h: TestApp): Promise<ReceivedMail[]> {
  await h.app.close()
  return h.sink.mails
}

// drr's assert_valid_send_link_email: one mail to the user's address, one link to the verification
// URL with exactly the three parameters, for the user, signed now, and valid.
async function assertValidSendLinkEmail (t: Test, h: TestApp, user: TestUser): Promise<void> {
  const mails = await h.sink.waitForMails(1)
  t.equal(mails.length, 1)
  const [mail] = mails as [ReceivedMail]
  t.same(mail.to, [user.email])
  const link = linkFrom(mail)
  t.equal(`${link.origin}${link.pathname}`, VERIFICATION_URL)
  t.same([...link.searchParams.keys()].sort(), ['signature', 'timestamp', 'user_id'])
  t.equal(link.searchParams.get('user_id'), user.id)
  const timestamp = Number(link.searchParams.get('timestamp'))
  t.equal(timestamp, Math.floor(h.clock.now / 1000))
  const signed = { id: user.id, email: user.email, passwordHash: await h.hashOf(user.id) }
  t.equal(h.app.resetPassword.signer.verify(signed, timestamp, link.searchParams.get('signature') as string), 'valid')
}

/** An adapter whose kyselyUsers options are chosen once the test table exists. */
function lateUsers (): { users: UserAdapter, use: (inner: UserAdapter) => void } {
  let inner: UserAdapter | undefined
  const get = (): UserAdapter => inner as UserAdapter
  return {
    users: {
      findByLogin: async (login) => await get().findByLogin(login),
      findById: async (id) => await get().findById(id),
      replacePasswordHash: async (id, expected, hash) => await get().replacePasswordHash(id, expected, hash)
    },
    use: (adapter) => { inner = adapter }
  }
}

t.test('test_send_link_ok', async (t) => {
  const h = await compatApp(t)
  const user = await h.addUser({ username: 'testusername', email: 'testusername@example.com' })
  const res = await h.post('send-reset-password-link/', { login: 'testusername' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), SENT)
  await assertValidSendLinkEmail(t, h, user)
})

t.test('test_send_link_but_email_not_in_login_fields', async (t) => {
  const late = lateUsers()
  const h = await compatApp(t, { users: late.users })
  late.use(kyselyUsers(h.db, { table: h.table, loginFields: ['username'] }))
  await h.addUser({ username: 'testusername', email: 'testuser@example.com' })
  const res = await h.post('send-reset-password-link/', { login: 'testuser@example.com' })
  t.equal(res.statusCode, 400)
  t.same(res.json(), NOT_FOUND)
  t.equal((await delivered(h)).length, 0)
})

t.test('test_send_link_via_login_username_ok', async (t) => {
  const h = await compatApp(t)
  const user = await h.addUser({ username: 'testusername', email: 'testuser@example.com' })
  const res = await h.post('send-reset-password-link/', { login: 'testusername' })
  t.same(res.json(), SENT)
  await assertValidSendLinkEmail(t, h, user)
})

t.test('test_send_link_via_login_email_ok', async (t) => {
  const h = await compatApp(t)
  const user = await h.addUser({ username: 'testusername', email: 'testuser@example.com' })
  const res = await h.post('send-reset-password-link/', { login: 'testuser@example.com' })
  t.same(res.json(), SENT)
  await assertValidSendLinkEmail(t, h, user)
})

t.test('test_send_link_via_email_ok', async (t) => {
  const h = await compatApp(t, { useEmail: true })
  const user = await h.addUser({ username: 'testusername', email: 'testuser@example.com' })
  const res = await h.post('send-reset-password-link/', { email: 'testuser@example.com' })
  t.same(res.json(), SENT)
  await assertValidSendLinkEmail(t, h, user)
  // With useEmail the field is `email`: `login` is an unknown field, ignored, so `email` is missing.
  const login = await h.post('send-reset-password-link/', { login: 'testuser@example.com' })
  t.same(login.json(), { email: ['This field is required.'] })
})

// Differs from drr on purpose: drr mails a link to an inactive ("unverified") user and answers 200;
// the plugin never mails an inactive user, so it is not found (400 with drr's default of failing).
t.test('test_send_link_unverified_user', async (t) => {
  const h = await compatApp(t)
  await h.addUser({ username: 'testusername', email: 'testusername@example.com', isActive: false })
  const res = await h.post('send-reset-password-link/', { login: 'testusername' })
  t.equal(res.statusCode, 400)
  t.same(res.json(), NOT_FOUND)
  t.equal((await delivered(h)).length, 0)
})

// Same difference as test_send_link_unverified_user; without failing the reply is drr's 200.
t.test('test_send_link_unverified_user_one_time_use', async (t) => {
  const h = await compatApp(t, { oneTimeUse: true, failWhenUserNotFound: false })
  await h.addUser({ username: 'testusername', email: 'testusername@example.com', isActive: false })
  const res = await h.post('send-reset-password-link/', { login: 'testusername' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), SENT_IF_FOUND)
  t.equal((await delivered(h)).length, 0)
})

t.test('test_send_link_invalid_login', async (t) => {
  const h = await compatApp(t)
  await h.addUser({ username: 'testusername', email: 'testusername@example.com' })
  const res = await h.post('send-reset-password-link/', { login: 'testusernameb' })
  t.equal(res.statusCode, 400)
  t.same(res.json(), NOT_FOUND)
  t.equal((await delivered(h)).length, 0)
})

t.test('test_when_duplicated_email_then_send_link_via_login_successful', async (t) => {
  const h = await compatApp(t)
  const user = await h.addUser({ username: 'testusername', email: 'testusername@example.com' })
  await h.addUser({ username: 'testusername2', email: 'testusername@example.com' })
  const res = await h.post('send-reset-password-link/', { login: 'testusername' })
  t.same(res.json(), SENT)
  t.equal((await delivered(h)).length, 1)
  await assertValidSendLinkEmail(t, h, user)
})

t.test('test_when_no_user_reveal_then_send_link_successful', async (t) => {
  const h = await compatApp(t, { failWhenUserNotFound: false })
  const user = await h.addUser({ username: 'testusername', email: 'testusername@example.com' })
  const res = await h.post('send-reset-password-link/', { login: 'testusername' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), SENT_IF_FOUND)
  await assertValidSendLinkEmail(t, h, user)
})

t.test('test_when_no_user_reveal_and_user_not_found_then_send_link_successful', async (t) => {
  const h = await compatApp(t, { failWhenUserNotFound: false })
  const res = await h.post('send-reset-password-link/', { login: 'ninja' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), SENT_IF_FOUND)
  t.equal((await delivered(h)).length, 0)
})

// drr selects Django templates (VERIFICATION_TEMPLATES_SELECTOR); the plugin takes a template function.
t.test('test_ok_when_custom_verification_templates_selector', async (t) => {
  const linkTemplate = ({ link }: { link: string }) => ({
    subject: 'Generic verification link was sent',
    text: `Click URL to verify:\n${link}\n`,
    html: `<p>Click URL to verify:</p>\n<p><a href="${link.replaceAll('&', '&amp;')}">${link.replaceAll('&', '&amp;')}</a></p>`
  })
  const h = await buildApp(t, { plugin: { ...COMPAT, mail: { from: 'no-reply@example.com', linkTemplate } } }) as TestApp
  const user = await h.addUser({ username: 'testusername', email: 'testusername@example.com' })
  const res = await h.post('send-reset-password-link/', { login: 'testusername' })
  t.same(res.json(), SENT)
  const [mail] = await h.sink.waitForMails(1) as [ReceivedMail]
  t.equal(mail.subject, 'Generic verification link was sent')
  t.ok(mail.text.startsWith('Click URL to verify:'))
  await assertValidSendLinkEmail(t, h, user)
})

// ---------------------------------------------------------------------------------------------
// The wire beyond the upstream tests: paths, parsers and DRF's validation messages.

t.test('both paths answer, with and without the trailing slash', async (t) => {
  const h = await compatApp(t, { failWhenUserNotFound: false })
  for (const route of ['send-reset-password-link/', 'send-reset-password-link']) {
    const res = await h.post(route, { login: 'nobody' })
    t.same(res.json(), SENT_IF_FOUND, route)
    t.equal(res.headers['cache-control'], 'no-store')
  }
})

t.test('a form-encoded body is taken as DRF takes it, the last of repeated keys counting', async (t) => {
  const h = await compatApp(t)
  const user = await h.addUser({ username: 'testusername', email: 'testusername@example.com' })
  const res = await h.post('send-reset-password-link/', 'login=nobody&login=testusername', { 'content-type': 'application/x-www-form-urlencoded' })
  t.same(res.json(), SENT)
  await assertValidSendLinkEmail(t, h, user)
})

t.test('missing, null, blank, mistyped and too long fields get DRF\'s messages', async (t) => {
  const h = await compatApp(t)
  const cases: Array<[unknown, unknown]> = [
    [{}, { login: ['This field is required.'] }],
    ['', { login: ['This field is required.'] }],
    [{ login: null }, { login: ['This field may not be null.'] }],
    [{ login: '' }, { login: ['This field may not be blank.'] }],
    [{ login: ['a'] }, { login: ['Not a valid string.'] }],
    [{ login: 'a'.repeat(255) }, { login: ['Ensure this field has no more than 254 characters.'] }],
    [[], { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }],
    ['"alice"', { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] }],
    ['true', { non_field_errors: ['Invalid data. Expected a dictionary, but got bool.'] }],
    ['7', { non_field_errors: ['Invalid data. Expected a dictionary, but got int.'] }],
    ['7.5', { non_field_errors: ['Invalid data. Expected a dictionary, but got float.'] }]
  ]
  for (const [body, expected] of cases) {
    const res = await h.post('send-reset-password-link/', typeof body === 'string' ? body : JSON.stringify(body))
    t.equal(res.statusCode, 400, JSON.stringify(body))
    t.same(res.json(), expected, JSON.stringify(body))
  }
  const none = await h.app.inject({ method: 'POST', url: `${PREFIX}/send-reset-password-link/` })
  t.same(none.json(), { login: ['This field is required.'] }, 'no body at all')
})

t.test('bad JSON, duplicate keys and other media types get a detail', async (t) => {
  const h = await compatApp(t)
  const bad = await h.post('send-reset-password-link/', '{"login":')
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), { detail: /^JSON parse error - / })
  const twice = await h.post('send-reset-password-link/', '{"login":"a","login":"b"}')
  t.same(twice.json(), { detail: 'The JSON body names a key more than once' })
  const text = await h.post('send-reset-password-link/', 'login=a', { 'content-type': 'text/plain' })
  t.equal(text.statusCode, 415)
  t.same(text.json(), { detail: 'Unsupported media type "text/plain" in request.' })
  const untyped = await h.app.inject({ method: 'POST', url: `${PREFIX}/send-reset-password-link/`, payload: 'login=a' })
  t.equal(untyped.statusCode, 415)
  t.same(untyped.json(), { detail: 'Unsupported media type "" in request.' })
})

t.test('a rate-limited request gets DRF\'s throttled detail', async (t) => {
  const h = await compatApp(t, { rateLimit: { sendLink: { perLogin: { max: 1, timeWindow: 60_000 } } }, failWhenUserNotFound: false })
  await h.post('send-reset-password-link/', { login: 'nobody' })
  const res = await h.post('send-reset-password-link/', { login: 'nobody' })
  t.equal(res.statusCode, 429)
  t.same(res.json(), { detail: 'Request was throttled. Expected available in 60 seconds.' })
})

t.test('an unexpected failure is a 500 with no details', async (t) => {
  const users = { findByLogin: async () => null, findById: async () => null, replacePasswordHash: async () => false } as unknown as UserAdapter
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  await app.register(resetPassword, { ...COMPAT, secret: SECRET, verificationUrl: VERIFICATION_URL, users, deliver: () => {}, rateLimit: false })
  const res = await app.inject({ method: 'POST', url: '/send-reset-password-link/', payload: { login: 'alice' } })
  t.equal(res.statusCode, 500)
  t.same(res.json(), { detail: 'Internal Server Error' })
})

t.test('compat and useEmail are checked at register time', async (t) => {
  const base = { secret: SECRET, verificationUrl: VERIFICATION_URL, users: lateUsers().users, deliver: () => {} }
  for (const [options, name] of [
    [{ compat: 'drr' }, 'compat'],
    [{ useEmail: true }, 'useEmail'],
    [{ ...COMPAT, useEmail: 'yes' }, 'useEmail']
  ] as const) {
    const app = Fastify()
    t.teardown(async () => { await app.close() })
    await t.rejects(async () => { await app.register(resetPassword, { ...base, ...options } as unknown as ResetPasswordOptions) }, {
      code: 'FST_RESET_PASSWORD_INVALID_OPTION',
      message: new RegExp(`option "${name}"`)
    })
  }
})

t.test('the mail locale and a deliver function work as in the plugin\'s own mode', async (t) => {
  const locales: Array<string | undefined> = []
  const linkTemplate = ({ link, locale }: { link: string, locale?: string | undefined }) => {
    locales.push(locale)
    return { subject: 'Reset', text: `${link}\n`, html: `<p>${link.replaceAll('&', '&amp;')}</p>` }
  }
  const h = await buildApp(t, { plugin: { ...COMPAT, mail: { from: 'no-reply@example.com', linkTemplate, locale: (request) => request.headers['accept-language'] } } }) as TestApp
  await h.addUser({ username: 'testusername', email: 'testusername@example.com' })
  await h.post('send-reset-password-link/', { login: 'testusername' }, { 'accept-language': 'pl' })
  await h.sink.waitForMails(1)
  t.same(locales, ['pl'])

  const sent: string[] = []
  const late = lateUsers()
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  await app.register(resetPassword, {
    ...COMPAT,
    secret: SECRET,
    verificationUrl: VERIFICATION_URL,
    users: late.users,
    deliver: (message) => { sent.push(message.to) },
    rateLimit: false
  })
  late.use(kyselyUsers(h.db, { table: h.table }))
  const res = await app.inject({ method: 'POST', url: '/send-reset-password-link/', payload: { login: 'testusername' } })
  t.same(res.json(), SENT)
  await app.close()
  t.same(sent, ['testusername@example.com'])
})
