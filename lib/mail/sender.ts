import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer'
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

/**
 * An SMTP URL without a `pool` setting gets a pool of as many connections as the queue runs
 * deliveries: one connection per mail paid an SMTP greeting per mail, and held delivery to 37
 * mails/s in the benchmarks (1,190 with the pool). An app that sets `pool` itself keeps its choice.
 */
function pooled (transport: MailTransport | undefined, connections: number): MailTransport | undefined {
  if (typeof transport !== 'string') return transport
  const url = new URL(transport)
  if (!url.searchParams.has('pool')) {
    url.searchParams.set('pool', 'true')
    url.searchParams.set('maxConnections', String(connections))
  }
  // A session cut by close() is dropped at once: nodemailer otherwise waits up to 5 s for a server
  // that may never answer to close its side, and that socket keeps the process alive meanwhile.
  if (!url.searchParams.has('socketCloseTimeout')) url.searchParams.set('socketCloseTimeout', '0')
  return url.href
}

/** Delivery through the app's `deliver` function, or through nodemailer. */
export function createSender (deliver: DeliverFunction | undefined, given: MailTransport | undefined, connections: number): Sender {
  if (deliver !== undefined) {
    return { send: async (message, user) => await deliver(message, user), close: () => {} }
  }
  const transport = pooled(given, connections)
  const owned = !isTransporter(transport as MailTransport)
  const transporter = owned ? nodemailer.createTransport(transport as Parameters<typeof nodemailer.createTransport>[0]) : transport as Transporter
  return {
    // The signal cuts a delivery in flight (nodemailer closes its connection), pooled or not, ours or the app's.
    // Object.assign, not a spread: on Node 20 `{ ...message, signal }` took 1.8 µs (0.2 this way).
    send: async (message, _user, signal) => await transporter.sendMail(Object.assign({}, message, { signal }) as SendMailOptions),
    close: () => { if (owned) transporter.close() }
  }
}
