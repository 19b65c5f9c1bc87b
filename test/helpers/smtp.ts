import { EventEmitter, once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { buffer } from 'node:stream/consumers'
import { setTimeout as sleep } from 'node:timers/promises'
import { simpleParser, type Headers } from 'mailparser'
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerError, type SMTPServerSession } from 'smtp-server'

/** A message the sink accepted, parsed with mailparser's `simpleParser`. */
export interface ReceivedMail {
  /** Envelope sender, as given in MAIL FROM. */
  from: string
  /** Envelope recipients, as given in RCPT TO. */
  to: string[]
  /** `''` when the message has no subject. */
  subject: string
  /** `''` when the message has no text part. */
  text: string
  /** `''` when the message has no html part. */
  html: string
  headers: Headers
  /** The message exactly as it crossed the wire after DATA. */
  raw: string
}

/**
 * How the sink answers. A fault is read when it applies: `refuse` when a client connects,
 * the others when a message comes in after DATA.
 */
export type SmtpFault =
  | { kind: 'none' }
  /**
   * Accepts the message, but only `delayMs` after it was received. A client that stops waiting
   * still leaves it in `mails`, as with a real server that got the whole message.
   */
  | { kind: 'slow', delayMs: number }
  /** Answers the message with a 4xx reply, 451 ("local error in processing") unless `code` is given. */
  | { kind: 'temporary', code?: number }
  /** Answers the message with a 5xx reply, 550 ("mailbox unavailable") unless `code` is given. */
  | { kind: 'permanent', code?: number }
  /**
   * Greets with 421 and hangs up: the server is reachable but takes no session
   * (RFC 5321 section 4.2.3: "Service not available, closing transmission channel").
   */
  | { kind: 'refuse' }

/**
 * A real SMTP server on 127.0.0.1 that keeps what it receives. smtp-server holds every greeting
 * back 100 ms to catch clients that talk too early, so each session costs at least that.
 *
 * @example
 * const sink = await startSmtpSink(t)
 * await nodemailer.createTransport(sink.url).sendMail({ from: 'a@example.com', to: 'b@example.com', text: 'hi' })
 * const [mail] = await sink.waitForMails(1)
 */
export interface SmtpSink {
  /** `smtp://127.0.0.1:PORT`, usable as a nodemailer transport. */
  readonly url: string
  readonly port: number
  /** Accepted messages, in the order they were accepted. A message is listed before the client hears 250. */
  readonly mails: ReceivedMail[]
  /** Every message offered after DATA, accepted or not, plus every session refused at connect. */
  readonly attempts: number
  /** Resolves with all mails so far once at least `count` arrived; rejects after `timeoutMs` (5000). */
  waitForMails (count: number, timeoutMs?: number): Promise<ReceivedMail[]>
  /** Changes how the sink answers from now on. */
  fault (mode: SmtpFault): void
  close (): Promise<void>
}

class Sink implements SmtpSink {
  readonly mails: ReceivedMail[] = []
  readonly #arrivals = new EventEmitter()
  readonly #server: SMTPServer
  #fault: SmtpFault = { kind: 'none' }
  #attempts = 0
  #port = 0

  constructor () {
    this.#server = new SMTPServer({
      authOptional: true,
      // Loopback only: no TLS to negotiate, and no reverse DNS lookup to wait for.
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      // Teardown should not wait the default 30 s for a client that keeps a pooled connection open.
      closeTimeout: 500,
      onConnect: (_session, callback) => callback(this.#refusal()),
      onData: (stream, session, callback) => {
        this.#receive(stream, session).then(() => callback(), callback)
      }
    })
    // A client that drops the connection mid-message is the client's failure, and the test that
    // caused it sees it there; the sink has to stay up for the next session.
    this.#server.on('error', () => {})
  }

  get url (): string {
    return `smtp://127.0.0.1:${this.#port}`
  }

  get port (): number {
    return this.#port
  }

  get attempts (): number {
    return this.#attempts
  }

  async listen (): Promise<void> {
    this.#server.listen(0, '127.0.0.1')
    await once(this.#server.server, 'listening')
    this.#port = (this.#server.server.address() as AddressInfo).port
  }

  async waitForMails (count: number, timeoutMs = 5000): Promise<ReceivedMail[]> {
    const signal = AbortSignal.timeout(timeoutMs)
    while (this.mails.length < count) {
      await once(this.#arrivals, 'mail', { signal }).catch(() => {
        throw new Error(`SMTP sink: waited ${timeoutMs} ms for ${count} mail(s), ${this.mails.length} arrived`)
      })
    }
    return [...this.mails]
  }

  fault (mode: SmtpFault): void {
    this.#fault = mode
  }

  async close (): Promise<void> {
    await new Promise<void>(resolve => this.#server.close(resolve))
  }

  #refusal (): SMTPServerError | undefined {
    if (this.#fault.kind !== 'refuse') return undefined
    this.#attempts++
    return smtpError(421, 'SMTP sink refuses sessions')
  }

  async #receive (stream: SMTPServerDataStream, session: SMTPServerSession): Promise<void> {
    this.#attempts++
    const fault = this.#fault
    const raw = await buffer(stream)
    if (fault.kind === 'temporary') throw smtpError(fault.code ?? 451, 'SMTP sink: temporary failure')
    if (fault.kind === 'permanent') throw smtpError(fault.code ?? 550, 'SMTP sink: permanent failure')
    if (fault.kind === 'slow') await sleep(fault.delayMs)
    const parsed = await simpleParser(raw)
    this.mails.push({
      // smtp-server answers DATA with 503 until MAIL FROM succeeded, so the envelope has a sender here.
      from: (session.envelope.mailFrom as SMTPServerAddress).address,
      to: session.envelope.rcptTo.map(rcpt => rcpt.address),
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: parsed.html || '',
      headers: parsed.headers,
      raw: raw.toString()
    })
    this.#arrivals.emit('mail')
  }
}

/** smtp-server replies with `responseCode` when a handler fails with it. */
function smtpError (responseCode: number, message: string): SMTPServerError {
  return Object.assign(new Error(message), { responseCode })
}

/**
 * Starts a sink on an ephemeral port and closes it when the test ends.
 *
 * @example
 * const sink = await startSmtpSink(t)
 */
export async function startSmtpSink (t: { teardown (fn: () => unknown): void }): Promise<SmtpSink> {
  const sink = new Sink()
  await sink.listen()
  t.teardown(() => sink.close())
  return sink
}

const LINK = /https?:\/\/[^\s"'<>]+/g
// An href carries `&` escaped; these are the spellings HTML escapers use for it.
const ESCAPED_AMPERSAND = /&(?:amp|#38|#x26);/gi

/**
 * The one signed link (an http(s) URL with `signature=`) of a mail. Throws unless the text
 * part holds exactly one and the html part holds the same one and no other.
 */
export function linkFrom (mail: ReceivedMail): URL {
  const links = signedLinks(mail.text)
  const [link] = links
  if (link === undefined || links.length > 1) {
    throw new Error(`linkFrom: expected one signed link in the text part, found ${links.length}`)
  }
  const inHtml = signedLinks(mail.html.replace(ESCAPED_AMPERSAND, '&'))
  if (inHtml.length !== 1 || inHtml[0] !== link) {
    throw new Error(`linkFrom: text part links to ${link}, html part to ${inHtml.join(', ') || 'nothing'}`)
  }
  return new URL(link)
}

function signedLinks (body: string): string[] {
  return [...new Set(body.match(LINK))].filter(link => link.includes('signature='))
}
