import { SMTPServer } from 'smtp-server'
import { serve } from './ipc.js'

// The SMTP server of the delivery scenario, in its own process: it accepts every message and only
// counts it, so that parsing mail here never becomes the limit being measured.
// Reverse DNS is off (it would cost a lookup per session); smtp-server still holds each greeting
// back 100 ms to catch clients that talk too early, so every new session costs at least that.

const received = { count: 0, firstAt: 0, lastAt: 0 }

const server = new SMTPServer({
  authOptional: true,
  disableReverseLookup: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData (stream, _session, callback) {
    stream.on('end', () => {
      const now = Date.now()
      if (received.count === 0) received.firstAt = now
      received.count++
      received.lastAt = now
      callback()
    })
    stream.resume()
  }
})

serve({
  listen: async () => await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => { resolve((server.server.address() as { port: number }).port) })
  }),
  close: async () => { await new Promise<void>((resolve) => { server.close(() => { resolve() }) }) },
  handlers: {
    received: () => received,
    reset: () => {
      received.count = 0
      received.firstAt = 0
      received.lastAt = 0
      return null
    }
  }
})
