import type { ResetPasswordUser } from '../users/adapter.js'

/** A mail ready to send. */
export interface MailMessage {
  readonly to: string
  readonly from: string
  readonly replyTo?: string
  readonly subject: string
  readonly text: string
  readonly html: string
}

/** What a template returns. */
export interface MailContent {
  readonly subject: string
  readonly text: string
  readonly html: string
}

export interface LinkMailData {
  readonly user: ResetPasswordUser
  /** The reset link; templates must show it exactly once per part, on its own line. */
  readonly link: string
  /** When the link stops working. */
  readonly expiresAt: Date
  /** The locale chosen for the request that asked for the link (the `mail.locale` option), if any. */
  readonly locale: string | undefined
}

export interface NoticeMailData {
  readonly user: ResetPasswordUser
  readonly changedAt: Date
  readonly locale: string | undefined
}

export interface UnknownAccountMailData {
  /** The address that was typed: no account has it. */
  readonly address: string
  readonly locale: string | undefined
}

export type LinkTemplate = (data: LinkMailData) => MailContent | Promise<MailContent>
export type UnknownAccountTemplate = (data: UnknownAccountMailData) => MailContent | Promise<MailContent>
export type NoticeTemplate = (data: NoticeMailData) => MailContent | Promise<MailContent>

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML element content and quoted attributes. */
export function escapeHtml (value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string)
}

function greeting (user: ResetPasswordUser): string {
  return user.username === null ? 'Hello,' : `Hello ${user.username},`
}

/** The default reset-link mail, in English. */
export const defaultLinkTemplate: LinkTemplate = ({ user, link, expiresAt }) => {
  // Every mail runs this on the server's event loop: each part is written once, as one template.
  const hello = greeting(user)
  const expires = expiresAt.toISOString()
  const href = escapeHtml(link)
  return {
    subject: 'Reset your password',
    text: `${hello}

Someone asked to reset the password of your account. To choose a new password, open this link:

${link}

The link expires at ${expires}.
If you did not ask for it, ignore this mail: your password stays as it is.
`,
    html: `<p>${escapeHtml(hello)}</p>
<p>Someone asked to reset the password of your account. To choose a new password, open this link:</p>
<p><a href="${href}">${href}</a></p>
<p>The link expires at ${expires}.</p>
<p>If you did not ask for it, ignore this mail: your password stays as it is.</p>
`
  }
}

/** The default "your password was changed" notice, in English. It carries no link that changes anything. */
export const defaultChangedNotice: NoticeTemplate = ({ user, changedAt }) => ({
  subject: 'Your password was changed',
  text: [
    greeting(user),
    '',
    `The password of your account was changed at ${changedAt.toISOString()}.`,
    'If this was not you, ask for a new reset link at once and contact support: someone else may have access to your e-mail.',
    ''
  ].join('\n'),
  html: [
    `<p>${escapeHtml(greeting(user))}</p>`,
    `<p>The password of your account was changed at ${changedAt.toISOString()}.</p>`,
    '<p>If this was not you, ask for a new reset link at once and contact support: someone else may have access to your e-mail.</p>',
    ''
  ].join('\n')
})

/**
 * The default mail to an address that asked for a link but has no account (off by default; Ory
 * Kratos calls this notify_unknown_recipients). It tells a real person why no link came, and holds no link.
 */
export const defaultUnknownAccountNotice: UnknownAccountTemplate = () => ({
  subject: 'Password reset requested',
  text: [
    'Hello,',
    '',
    'Someone asked to reset the password of an account with this e-mail address, but there is no account with it.',
    'If it was you, you may have signed up with another address. If not, ignore this mail.',
    ''
  ].join('\n'),
  html: [
    '<p>Hello,</p>',
    '<p>Someone asked to reset the password of an account with this e-mail address, but there is no account with it.</p>',
    '<p>If it was you, you may have signed up with another address. If not, ignore this mail.</p>',
    ''
  ].join('\n')
})
