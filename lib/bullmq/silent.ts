import type { FastifyBaseLogger } from 'fastify'

const nothing = (): void => {}

/** The logger of a producer or worker given none: outside Fastify there is no `app.log` to fall back on. */
export const silentLogger: FastifyBaseLogger = {
  level: 'silent',
  fatal: nothing,
  error: nothing,
  warn: nothing,
  info: nothing,
  debug: nothing,
  trace: nothing,
  silent: nothing,
  child: () => silentLogger
}
