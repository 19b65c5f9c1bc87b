import Fastify from 'fastify'
import { expect, test } from 'tstyche'
import resetPassword, { djangoSigner, type BreachedPasswordOptions, type MailMessage, type PasswordOptions, type ResetPasswordOptions, type ResetPasswordUser, type UserAdapter } from '../../lib/index.js'

declare const users: UserAdapter

const minimal = { secret: 'a'.repeat(32), verificationUrl: 'https://frontend.example/reset-password/', users, mail: { transport: 'smtp://localhost', from: 'no-reply@example.com' } }

test('the plugin registers with its options', () => {
  const app = Fastify()
  const full: ResetPasswordOptions = {
    prefix: '/api/v1/accounts',
    signer: djangoSigner({ secretKey: 'django-insecure-key', fallbackKeys: ['older-key'] }),
    verificationUrl: 'https://frontend.example/reset-password/',
    users,
    deliver: async (message, user) => {
      expect(message).type.toBe<MailMessage>()
      expect(user).type.toBe<ResetPasswordUser | null>()
    },
    period: 900,
    passwordConfirm: true,
    password: { minLength: 12, common: ['hunter2'], similarity: { maxSimilarity: 0.5 }, hash: async (password) => password, breached: { minCount: 5 } },
    rateLimit: { sendLink: { perIp: { max: 5, timeWindow: '1 minute' }, perAccount: { max: 2, timeWindow: 900_000 } } },
    queue: { attempts: 3 },
    storeTimeout: 1500,
    now: () => Date.now()
  }
  expect(app.register).type.toBeCallableWith(resetPassword, minimal)
  expect(app.register).type.toBeCallableWith(resetPassword, full)
})

test('required options cannot be left out', () => {
  const app = Fastify()
  const { verificationUrl: _url, ...noUrl } = minimal
  const { users: _users, ...noUsers } = minimal
  expect(app.register).type.not.toBeCallableWith(resetPassword, noUrl)
  expect(app.register).type.not.toBeCallableWith(resetPassword, noUsers)
  expect<ResetPasswordOptions>().type.not.toBeAssignableFrom({ ...minimal, mail: { transport: 'smtp://localhost' } })
})

test('options of the wrong type are rejected', () => {
  expect<ResetPasswordOptions>().type.not.toBeAssignableFrom({ ...minimal, secret: 42 })
  expect<ResetPasswordOptions>().type.not.toBeAssignableFrom({ ...minimal, verificationUrl: new URL('https://frontend.example/') })
  expect<ResetPasswordOptions>().type.not.toBeAssignableFrom({ ...minimal, period: '1 hour' })
  expect<ResetPasswordOptions>().type.not.toBeAssignableFrom({ ...minimal, users: { findByLogin: async () => [] } })
  expect<ResetPasswordOptions>().type.not.toBeAssignableFrom({ ...minimal, rateLimit: true })
  expect<ResetPasswordOptions>().type.not.toBeAssignableFrom({ ...minimal, password: { similarity: true } })
  expect<ResetPasswordOptions>().type.not.toBeAssignableFrom({ ...minimal, signer: 'django' })
  expect<ResetPasswordOptions>().type.not.toBeAssignableFrom({ ...minimal, deliver: 'console' })
  expect<ResetPasswordOptions>().type.not.toBeAssignableFrom({ ...minimal, storeTimeout: '2 seconds' })
})

test('password.breached is a boolean or its options, each optional', () => {
  expect<PasswordOptions['breached']>().type.toBe<boolean | BreachedPasswordOptions | undefined>()
  expect<BreachedPasswordOptions>().type.toBeAssignableFrom({})
  expect<BreachedPasswordOptions>().type.toBeAssignableFrom({ url: 'https://range.example/range/', timeout: 500, failOpen: false, minCount: 10 })
  expect<ResetPasswordOptions>().type.toBeAssignableFrom({ ...minimal, password: { breached: true } })
  expect<ResetPasswordOptions>().type.toBeAssignableFrom({ ...minimal, password: { minLength: 10, breached: { failOpen: false } } })
  expect<ResetPasswordOptions>().type.not.toBeAssignableFrom({ ...minimal, password: { breached: 'yes' } })
  expect<BreachedPasswordOptions>().type.not.toBeAssignableFrom({ url: new URL('https://range.example/range/') })
  expect<BreachedPasswordOptions>().type.not.toBeAssignableFrom({ timeout: '1500 ms' })
  expect<BreachedPasswordOptions>().type.not.toBeAssignableFrom({ failOpen: 'no' })
  expect<BreachedPasswordOptions>().type.not.toBeAssignableFrom({ minCount: '1' })
})
