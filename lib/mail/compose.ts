import type { ResetPasswordUser } from '../users/adapter.js'
import type { MailOptions } from '../options.js'
import type { ResetLinks } from '../link.js'
import type { MailContent, MailMessage } from './templates.js'
import { defaultChangedNotice, defaultLinkTemplate, defaultUnknownAccountNotice } from './templates.js'

/** A signed link mail, with the link itself for the `linkCreated` event. */
export interface LinkMail {
  readonly message: MailMessage
  readonly link: string
  readonly expiresAt: Date
}

/** Builds the three mails from the app's templates and envelope. */
export interface Composer {
  /** Signs a link for `user` and builds its mail. */
  link (user: ResetPasswordUser, locale: string | undefined): Promise<LinkMail>
  /** The "password changed" notice, or undefined when `mail.changedNotice` is false. */
  readonly changed: ((user: ResetPasswordUser, changedAt: Date, locale: string | undefined) => Promise<MailMessage>) | undefined
  /** The unknown-account notice to `address`, or undefined when `mail.unknownAccountNotice` is off. */
  readonly unknown: ((address: string, locale: string | undefined) => Promise<MailMessage>) | undefined
}

/**
 * The mail to `to` with `content`, from the app's sender: what `{ ...envelope, to, ...content }`
 * would make, keys in the same order and the template's winning. Not written as that spread: on
 * Node 20 it took 5 µs a mail (0.2 µs on Node 22 and 24), where Object.assign takes 0.2 on all three.
 */
export function addresser (mail: Pick<MailOptions, 'from' | 'replyTo'> | undefined): (to: string, content: MailContent) => MailMessage {
  const from = mail?.from ?? ''
  const replyTo = mail?.replyTo
  return replyTo === undefined
    ? (to, content) => Object.assign({ from, to }, content)
    : (to, content) => Object.assign({ from, replyTo, to }, content)
}

export function createComposer (mail: MailOptions | undefined, links: ResetLinks): Composer {
  const address = addresser(mail)
  const linkTemplate = mail?.linkTemplate ?? defaultLinkTemplate
  const changedNotice = mail?.changedNotice ?? defaultChangedNotice
  const unknownNotice = mail?.unknownAccountNotice === true ? defaultUnknownAccountNotice : mail?.unknownAccountNotice || undefined
  return {
    async link (user, locale) {
      const link = links.url(user)
      const expiresAt = links.expiresAt()
      const content = await linkTemplate({ user, link, expiresAt, locale })
      return { message: address(user.email as string, content), link, expiresAt }
    },
    changed: changedNotice === false
      ? undefined
      : async (user, changedAt, locale) => address(user.email as string, await changedNotice({ user, changedAt, locale })),
    unknown: unknownNotice === undefined
      ? undefined
      // Sent to the address as typed: there is no stored one, and that address is who asked.
      : async (to, locale) => address(to, await unknownNotice({ address: to, locale }))
  }
}
