import type { ResetPasswordUser } from '../users/adapter.js'
import type { MailOptions } from '../options.js'
import type { ResetLinks } from '../link.js'
import type { MailMessage } from './templates.js'
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

export function createComposer (mail: MailOptions | undefined, links: ResetLinks): Composer {
  const envelope = { from: mail?.from ?? '', ...(mail?.replyTo === undefined ? {} : { replyTo: mail.replyTo }) }
  const linkTemplate = mail?.linkTemplate ?? defaultLinkTemplate
  const changedNotice = mail?.changedNotice ?? defaultChangedNotice
  const unknownNotice = mail?.unknownAccountNotice === true ? defaultUnknownAccountNotice : mail?.unknownAccountNotice || undefined
  return {
    async link (user, locale) {
      const link = links.url(user)
      const expiresAt = links.expiresAt()
      const content = await linkTemplate({ user, link, expiresAt, locale })
      return { message: { ...envelope, to: user.email as string, ...content }, link, expiresAt }
    },
    changed: changedNotice === false
      ? undefined
      : async (user, changedAt, locale) => ({ ...envelope, to: user.email as string, ...await changedNotice({ user, changedAt, locale }) }),
    unknown: unknownNotice === undefined
      ? undefined
      // Sent to the address as typed: there is no stored one, and that address is who asked.
      : async (address, locale) => ({ ...envelope, to: address, ...await unknownNotice({ address, locale }) })
  }
}
