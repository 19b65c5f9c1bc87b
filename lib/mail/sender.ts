import nodemailer, { type Transporter } from 'nodemailer'
import type { DeliverFunction, MailTransport } from '../options.js'
import type { Send } from './queue.js'

export interface Sender {
  readonly send: Send
  /** Closes the transport if the plugin created it; one the app passed in stays the app's. */
  readonly close: () => void
}

function isTransporter (transport: MailTransport): transport is Transporter {
  return typeof (transport as Transporter).sendMail === 'function'
}

/** Delivery through the app's `deliver` function, or through nodemailer. */
export function createSender (deliver: DeliverFunction | undefined, transport: MailTransport | undefined): Sender {
  if (deliver !== undefined) {
    return { send: async (message, user) => await deliver(message, user), close: () => {} }
  }
  const owned = !isTransporter(transport as MailTransport)
  const transporter = owned ? nodemailer.createTransport(transport as Parameters<typeof nodemailer.createTransport>[0]) : transport as Transporter
  return {
    send: async (message) => await transporter.sendMail({ ...message }),
    close: () => { if (owned) transporter.close() }
  }
}
