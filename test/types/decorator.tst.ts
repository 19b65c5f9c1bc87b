import Fastify from 'fastify'
import { expect, test } from 'tstyche'
import type { LinkStatus, MailFailureReason, MailKind, MailMessage, QueueStats, ResetLinkParams, ResetLinks, ResetPassword, ResetPasswordUser, UserAdapter } from '../../lib/index.js'

const app = Fastify()
declare const user: ResetPasswordUser

test('fastify.resetPassword is typed by the module augmentation', () => {
  expect(app.resetPassword).type.toBe<ResetPassword>()
  expect(app.resetPassword.users).type.toBe<UserAdapter>()
  expect(app.resetPassword.signer).type.toBe<ResetLinks>()
})

test('the signer signs, builds and checks links', () => {
  expect(app.resetPassword.signer.sign(user)).type.toBe<ResetLinkParams>()
  expect(app.resetPassword.signer.url(user)).type.toBe<string>()
  expect(app.resetPassword.signer.verify(user, 1767225600, 'signature')).type.toBe<LinkStatus>()
  expect<LinkStatus>().type.toBe<'valid' | 'invalid' | 'expired'>()
  expect(app.resetPassword.signer.expiresAt()).type.toBe<Date>()
  expect(app.resetPassword.signer.expiresAt(1767225600)).type.toBe<Date>()
  expect(app.resetPassword.signer.expiresAt).type.not.toBeCallableWith('1767225600')
  expect(app.resetPassword.signer.verify).type.not.toBeCallableWith(user, '1767225600', 'signature')
})

test('sendLink takes a user and an optional locale, and says whether it queued a mail', () => {
  expect(app.resetPassword.sendLink(user)).type.toBe<boolean>()
  expect(app.resetPassword.sendLink).type.toBeCallableWith(user, { locale: 'fr' })
  expect(app.resetPassword.sendLink).type.not.toBeCallableWith({ id: '1' })
  expect(app.resetPassword.sendLink).type.not.toBeCallableWith(user, { locale: 1 })
})

test('the user adapter methods have their documented signatures', () => {
  expect(app.resetPassword.users.findByLogin('alice')).type.toBe<Promise<readonly ResetPasswordUser[]>>()
  expect(app.resetPassword.users.findById('1')).type.toBe<Promise<ResetPasswordUser | null>>()
  expect(app.resetPassword.users.replacePasswordHash('1', 'old', 'new')).type.toBe<Promise<boolean>>()
})

test('event listeners receive typed payloads', () => {
  app.resetPassword.on('passwordReset', (event) => {
    expect(event).type.toBe<{ readonly user: ResetPasswordUser }>()
  })
  app.resetPassword.once('linkCreated', (event) => {
    expect(event).type.toBe<{ readonly user: ResetPasswordUser, readonly link: string, readonly expiresAt: Date }>()
  })
  app.resetPassword.on('mailSent', (event) => {
    expect(event.user).type.toBe<ResetPasswordUser | null>()
    expect(event.kind).type.toBe<MailKind>()
    expect(event.message).type.toBe<MailMessage>()
    expect(event.attempts).type.toBe<number>()
  })
  app.resetPassword.off('mailFailed', (event) => {
    expect(event.error).type.toBe<Error>()
    expect(event.reason).type.toBe<MailFailureReason>()
  })
  expect<MailFailureReason>().type.toBe<'permanent' | 'exhausted' | 'closed'>()
  expect<MailKind>().type.toBe<'link' | 'code' | 'changed-notice' | 'unknown-account-notice'>()
})

test('listeners chain, and unknown events or mistyped listeners are rejected', () => {
  expect(app.resetPassword.on('passwordReset', () => {})).type.toBe<ResetPassword>()
  expect(app.resetPassword.on).type.not.toBeCallableWith('passwordChanged', () => {})
  expect(app.resetPassword.on).type.not.toBeCallableWith('passwordReset', (event: { user: number }) => event)
})

test('queueStats() reads the mail queue as a snapshot of numbers', () => {
  expect(app.resetPassword.queueStats()).type.toBe<QueueStats>()
  expect<QueueStats>().type.toBe<{
    readonly waiting: number
    readonly inFlight: number
    readonly depth: number
    readonly oldestAgeMs: number
    readonly sent: number
    readonly failed: number
  }>()
  expect(app.resetPassword.queueStats).type.not.toBeCallableWith('link')
})
