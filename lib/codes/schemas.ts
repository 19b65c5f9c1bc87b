import { Type, type Static } from '@sinclair/typebox'
import { InvalidCodeError } from '../errors.js'
import { EXAMPLE_PASSWORD, MAX_PASSWORD_UNITS, SendLinkBody, TAGS, loginTaken, malformed, passwordSet } from '../schemas.js'

export const CODE_SENT = { detail: 'If the login belongs to an account, a reset code was sent to its e-mail address' }

/** The schema of `POST {prefix}/send-reset-password-code`: the body and the answers of send-link. */
export const sendCodeSchema = {
  summary: 'Send a password-reset code',
  description: 'Finds the active users whose login is `login`, as send-reset-password-link does, and queues a mail ' +
    'with a short reset code to each, for an app that cannot open a link. The reply does not wait for the mail, and ' +
    'it is the same whether or not an account matched, unless the app set `failWhenUserNotFound`.',
  tags: TAGS,
  body: SendLinkBody,
  response: loginTaken('a code', CODE_SENT)
}

export function resetWithCodeBody (passwordConfirm: boolean) {
  const password = Type.String({ maxLength: MAX_PASSWORD_UNITS, description: 'The new password, taken exactly as sent' })
  return Type.Object({
    login: Type.String({ minLength: 1, maxLength: 254, description: 'The login the code was asked for', examples: ['alice@example.com'] }),
    code: Type.String({ minLength: 1, maxLength: 32, description: 'The code from the mail; spaces and hyphens are ignored', examples: ['40913587'] }),
    password,
    password_confirm: passwordConfirm ? password : Type.Optional(password)
  }, {
    additionalProperties: false,
    description: 'The login and the mailed code, and the new password',
    examples: [{ login: 'alice@example.com', code: '40913587', password: EXAMPLE_PASSWORD, ...(passwordConfirm ? { password_confirm: EXAMPLE_PASSWORD } : {}) }]
  })
}
export type ResetWithCodeBody = Static<ReturnType<typeof resetWithCodeBody>>

/** The schema of `POST {prefix}/reset-password-with-code`; `password_confirm` is required when `passwordConfirm` is. */
export function resetWithCodeSchema (passwordConfirm: boolean) {
  return {
    summary: 'Set a new password with a reset code',
    description: 'Checks the mailed code for the login, checks the new password against the password policy, and ' +
      'stores its hash. A code works only after it was asked for, until the end of the period after the one it was ' +
      'sent in, and once: it stops working when the password changes. Wrong codes are counted per account.',
    tags: TAGS,
    body: resetWithCodeBody(passwordConfirm),
    response: passwordSet('The body, the code or the password was refused.', [
      ...malformed('body/code Expected string'),
      { error: new InvalidCodeError(), when: 'the code is wrong, expired, used, was not asked for, or too many wrong codes were tried for the account; the same for a login without an account' }
    ])
  }
}
