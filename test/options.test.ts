import t, { type Test } from 'tap'
import Fastify from 'fastify'
import resetPassword, { type ResetPasswordOptions } from '../lib/index.js'
import type { UserAdapter } from '../lib/index.js'

const users: UserAdapter = {
  findByLogin: async () => [],
  findById: async () => null,
  replacePasswordHash: async () => false
}
const valid: ResetPasswordOptions = {
  secret: 'a-secret-of-at-least-32-characters!!',
  verificationUrl: 'https://frontend.example/reset-password/',
  users,
  mail: { transport: { jsonTransport: true }, from: 'no-reply@example.com' }
}

async function register (t: Test, options: unknown): Promise<Error | undefined> {
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  try {
    await app.register(resetPassword, options as ResetPasswordOptions)
    await app.ready()
    return undefined
  } catch (err) {
    return err as Error
  }
}

t.test('valid options register and decorate the app, routes mount under the prefix', async (t) => {
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  await app.register(resetPassword, { ...valid, prefix: '/api/v1/accounts' })
  await app.ready()
  t.ok(app.hasDecorator('resetPassword'))
  t.equal(app.resetPassword.users, users)
  t.ok(app.hasRoute({ method: 'POST', url: '/api/v1/accounts/send-reset-password-link' }))
  t.ok(app.hasRoute({ method: 'POST', url: '/api/v1/accounts/reset-password/' }))
})

t.test('without a prefix the routes mount at the root', async (t) => {
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  await app.register(resetPassword, valid)
  await app.ready()
  t.ok(app.hasRoute({ method: 'POST', url: '/send-reset-password-link' }))
})

t.test('the plugin does not change the app\'s own parsers, validator or error handler', async (t) => {
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  await app.register(resetPassword, { ...valid, prefix: '/reset' })
  app.post('/echo', { schema: { body: { type: 'object', properties: { n: { type: 'number' } } } } }, async (request) => request.body)
  const res = await app.inject({ method: 'POST', url: '/echo', payload: 'n=1', headers: { 'content-type': 'text/plain' } })
  t.equal(res.statusCode, 400, 'the app still has its text/plain parser (and Ajv rejects the string body)')
  const coerced = await app.inject({ method: 'POST', url: '/echo', payload: { n: '5' } })
  t.same(coerced.json(), { n: 5 }, 'the app keeps Ajv with coercion')
})

const invalid: Array<[string, unknown, RegExp]> = [
  ['secret missing', { ...valid, secret: undefined }, /option "secret" must be a string/],
  ['secret short', { ...valid, secret: 'short' }, /option "secret" must hold only strings of at least 32/],
  ['secret empty list', { ...valid, secret: [] }, /option "secret"/],
  ['secret list with a short key', { ...valid, secret: [valid.secret, 'short'] }, /option "secret"/],
  ['signer', { ...valid, signer: 'django' }, /option "signer"/],
  ['prefix', { ...valid, prefix: 42 }, /option "prefix" must be a string/],
  ['now', { ...valid, now: 5 }, /option "now"/],
  ['verificationUrl missing', { ...valid, verificationUrl: undefined }, /option "verificationUrl" must be an absolute URL/],
  ['verificationUrl relative', { ...valid, verificationUrl: '/reset/' }, /option "verificationUrl" must be an absolute URL/],
  ['verificationUrl http', { ...valid, verificationUrl: 'http://frontend.example/' }, /must use https:/],
  ['verificationUrl javascript', { ...valid, verificationUrl: 'javascript:alert(1)' }, /must use https:/],
  ['users missing', { ...valid, users: undefined }, /option "users" must be a user adapter/],
  ['users partial', { ...valid, users: { findById: async () => null } }, /option "users"/],
  ['mail missing', { ...valid, mail: undefined }, /option "mail" is required unless a deliver function is given/],
  ['mail not an object', { ...valid, mail: 'smtp://x' }, /option "mail" must be an object/],
  ['mail.from', { ...valid, mail: { transport: 'smtp://127.0.0.1' } }, /option "mail.from"/],
  ['mail.transport', { ...valid, mail: { from: 'a@b.c' } }, /option "mail.transport"/],
  ['mail.linkTemplate', { ...valid, mail: { ...valid.mail, linkTemplate: 'x' } }, /option "mail.linkTemplate" must be a function/],
  ['mail.changedNotice', { ...valid, mail: { ...valid.mail, changedNotice: true } }, /option "mail.changedNotice"/],
  ['mail.unknownAccountNotice', { ...valid, mail: { ...valid.mail, unknownAccountNotice: 'yes' } }, /option "mail.unknownAccountNotice"/],
  ['deliver', { ...valid, deliver: 'x' }, /option "deliver"/],
  ['period', { ...valid, period: 0 }, /option "period" must be a positive integer/],
  ['period fraction', { ...valid, period: 1.5 }, /option "period"/],
  ['oneTimeUse', { ...valid, oneTimeUse: 'yes' }, /option "oneTimeUse" must be a boolean/],
  ['failWhenUserNotFound', { ...valid, failWhenUserNotFound: 1 }, /option "failWhenUserNotFound"/],
  ['passwordConfirm', { ...valid, passwordConfirm: null }, /option "passwordConfirm"/],
  ['password.hash', { ...valid, password: { hash: 'bcrypt' } }, /option "password.hash"/],
  // The whole message, so that a second "option ..." prefix cannot creep back in.
  ['password.minLength', { ...valid, password: { minLength: 0 } }, /^fastify-reset-password: option "password\.minLength" must be a positive integer$/],
  ['password.similarity', { ...valid, password: { similarity: 'no' } }, /^fastify-reset-password: option "password\.similarity" must be false or an object$/],
  ['queue.concurrency', { ...valid, queue: { concurrency: 0 } }, /option "queue.concurrency"/],
  ['storeTimeout', { ...valid, storeTimeout: '2s' }, /option "storeTimeout" must be a positive integer/],
  ['rateLimit', { ...valid, rateLimit: 'on' }, /option "rateLimit" must be an object or false/],
  ['rateLimit.redis', { ...valid, rateLimit: { redis: 'redis://x' } }, /option "rateLimit.redis"/],
  ['rateLimit.sendLink.perIp', { ...valid, rateLimit: { sendLink: { perIp: { max: 0, timeWindow: 1000 } } } }, /option "rateLimit.sendLink.perIp"/],
  ['rateLimit.sendLink.perAccount', { ...valid, rateLimit: { sendLink: { perAccount: { max: 1, timeWindow: 'soon' } } } }, /option "rateLimit.sendLink.perAccount"/],
  ['rateLimit.resetPassword.perUser', { ...valid, rateLimit: { resetPassword: { perUser: { max: 1, timeWindow: '' } } } }, /option "rateLimit.resetPassword.perUser"/]
]

for (const [name, options, message] of invalid) {
  t.test(`register fails with FST_RESET_PASSWORD_INVALID_OPTION naming the option: ${name}`, async (t) => {
    const err = await register(t, options)
    t.equal((err as { code?: string } | undefined)?.code, 'FST_RESET_PASSWORD_INVALID_OPTION')
    t.match(err?.message, message)
  })
}

t.test('http: verification URLs are allowed for loopback hosts only', async (t) => {
  for (const url of ['http://localhost:3000/r/', 'http://127.0.0.1/r', 'http://[::1]:8080/']) {
    t.equal(await register(t, { ...valid, verificationUrl: url }), undefined, url)
  }
})

t.test('a deliver function replaces mail settings, and rate limits with custom rules register', async (t) => {
  t.equal(await register(t, {
    ...valid,
    mail: undefined,
    deliver: async () => {},
    rateLimit: { sendLink: { perIp: { max: 5, timeWindow: 60_000 } } }
  }), undefined)
})

t.test('signer links keep the verification URL\'s query and fragment', async (t) => {
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  await app.register(resetPassword, { ...valid, verificationUrl: 'https://frontend.example/reset/?lang=fr#form', now: () => 1_700_000_000_000 })
  const url = new URL(app.resetPassword.signer.url({ id: '7', email: 'a@b.c', passwordHash: 'h' }))
  t.equal(url.searchParams.get('lang'), 'fr')
  t.equal(url.searchParams.get('user_id'), '7')
  t.equal(url.searchParams.get('timestamp'), '1700000000')
  t.equal(url.hash, '#form')
})
