import type { EventEmitter } from 'node:events'
import type { FastifyInstance } from 'fastify'

const SIGNALS = ['SIGINT', 'SIGTERM'] as const

/**
 * Closes the app on SIGINT (Ctrl-C) and SIGTERM, so the plugin sends the mail still queued before
 * the process ends, then logs how many mails were sent and not sent since the start. A second
 * signal during the close ends the process at once (the handlers are `once`).
 * Returns a promise that settles when a close that a signal began has ended.
 */
export function closeOnSignals (
  app: FastifyInstance,
  signals: EventEmitter = process,
  setExitCode: (code: number) => void = (code) => { process.exitCode = code }
): Promise<void> {
  const mails = { sent: 0, notSent: 0 }
  app.resetPassword.on('mailSent', () => { mails.sent++ })
  app.resetPassword.on('mailFailed', () => { mails.notSent++ })
  return new Promise((resolve) => {
    const close = async (signal: string): Promise<void> => {
      app.log.info(`${signal}: closing, sending the mail still queued first`)
      try {
        await app.close()
        app.log.info(`closed: ${mails.sent} mails sent, ${mails.notSent} not sent`)
      } catch (err) {
        app.log.error({ err }, `the close failed: ${mails.sent} mails sent, ${mails.notSent} not sent`)
        setExitCode(1)
      }
      resolve()
    }
    for (const signal of SIGNALS) signals.once(signal, () => { void close(signal) })
  })
}
