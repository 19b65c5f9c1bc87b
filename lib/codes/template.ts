import type { ResetPasswordUser } from '../users/adapter.js'
import { escapeHtml, type MailContent } from '../mail/templates.js'

export interface CodeMailData {
  readonly user: ResetPasswordUser
  /** The reset code; templates must show it on its own line, exactly as given (no spaces added). */
  readonly code: string
  /** When the code stops working. */
  readonly expiresAt: Date
  /** The locale chosen for the request that asked for the code (the `mail.locale` option), if any. */
  readonly locale: string | undefined
}

export type CodeTemplate = (data: CodeMailData) => MailContent | Promise<MailContent>

/** The default reset-code mail, in English: the code on a line of its own, so it is easy to copy. */
export const defaultCodeTemplate: CodeTemplate = ({ user, code, expiresAt }) => {
  const hello = user.username === null ? 'Hello,' : `Hello ${user.username},`
  return {
    subject: 'Your password reset code',
    text: [
      hello,
      '',
      'Someone asked to reset the password of your account. To choose a new password, enter this code:',
      '',
      code,
      '',
      `The code expires at ${expiresAt.toISOString()}.`,
      'If you did not ask for it, ignore this mail: your password stays as it is. Never tell the code to anyone.',
      ''
    ].join('\n'),
    html: [
      `<p>${escapeHtml(hello)}</p>`,
      '<p>Someone asked to reset the password of your account. To choose a new password, enter this code:</p>',
      `<p style="font-size:1.5em;font-family:monospace;letter-spacing:0.1em"><strong>${code}</strong></p>`,
      `<p>The code expires at ${expiresAt.toISOString()}.</p>`,
      '<p>If you did not ask for it, ignore this mail: your password stays as it is. Never tell the code to anyone.</p>',
      ''
    ].join('\n')
  }
}
