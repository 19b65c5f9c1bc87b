import Fastify from 'fastify'
import { expect, test } from 'tstyche'
import resetPassword, { defaultCodeTemplate, type CodeMailData, type CodeOptions, type CodeTemplate, type MailContent, type MailKind, type ResetPasswordOptions, type ResetPasswordUser, type UserAdapter } from '../../lib/index.js'

declare const users: UserAdapter
const app = Fastify()
const minimal = { secret: 'a'.repeat(32), verificationUrl: 'https://frontend.example/reset-password/', users, mail: { transport: 'smtp://localhost', from: 'no-reply@example.com' } }

test('codes is true or an object of three numbers', () => {
  expect(app.register).type.toBeCallableWith(resetPassword, { ...minimal, codes: true })
  expect(app.register).type.toBeCallableWith(resetPassword, { ...minimal, codes: { digits: 6, period: 600, maxAttempts: 3 } })
  expect<CodeOptions>().type.toBe<{ readonly digits?: number, readonly period?: number, readonly maxAttempts?: number }>()
  expect<ResetPasswordOptions>().type.not.toBeAssignableFrom({ ...minimal, codes: false })
  expect<ResetPasswordOptions>().type.not.toBeAssignableFrom({ ...minimal, codes: { digits: '8' } })
  expect<ResetPasswordOptions>().type.not.toBeAssignableFrom({ ...minimal, codes: { length: 8 } })
})

test('mail.codeTemplate receives the code, its expiry and the locale', () => {
  const template: CodeTemplate = (data) => {
    expect(data).type.toBe<CodeMailData>()
    expect(data.code).type.toBe<string>()
    expect(data.expiresAt).type.toBe<Date>()
    expect(data.locale).type.toBe<string | undefined>()
    return { subject: 'Code', text: data.code, html: data.code }
  }
  expect(app.register).type.toBeCallableWith(resetPassword, { ...minimal, codes: true, mail: { ...minimal.mail, codeTemplate: template } })
  expect(defaultCodeTemplate).type.toBe<CodeTemplate>()
  expect<ReturnType<CodeTemplate>>().type.toBe<MailContent | Promise<MailContent>>()
})

test('codeCreated carries the user, the code and its expiry; code mail has its kind', () => {
  app.resetPassword.on('codeCreated', (event) => {
    expect(event).type.toBe<{ readonly user: ResetPasswordUser, readonly code: string, readonly expiresAt: Date }>()
  })
  expect<'code'>().type.toBeAssignableTo<MailKind>()
})
