import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Kysely } from 'kysely'
import { buildExample, type ExampleOptions } from '../../example/app.js'
import { openDatabase, type ExampleDB } from '../../example/db.js'
import { cheapHash } from './app.js'
import { startSmtpSink, type SmtpSink } from './smtp.js'

export interface Example {
  readonly app: FastifyInstance
  readonly sink: SmtpSink
  /** A second connection to the example's SQLite file, to look at and add rows. */
  readonly db: Kysely<ExampleDB>
  post (url: string, body: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>
}

/** The example app on a fresh SQLite file, mailing to a real SMTP sink; closed in teardown. */
export async function example (t: Test, options: Partial<ExampleOptions> = {}): Promise<Example> {
  const dir = await mkdtemp(join(tmpdir(), 'fastify-reset-password-example-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const sink = await startSmtpSink(t)
  const database = join(dir, 'example.sqlite')
  const app = await buildExample({
    database,
    publicUrl: 'http://127.0.0.1:3000/',
    smtpUrl: sink.url,
    secret: 'example-secret-for-tests-0123456789abcdef',
    logger: false,
    plugin: { password: { hash: cheapHash }, rateLimit: false },
    ...options
  })
  t.teardown(async () => { await app.close() })
  const db = await openDatabase(database)
  t.teardown(async () => { await db.destroy() })
  return {
    app,
    sink,
    db,
    async post (url, body, headers = {}) {
      return await app.inject({ method: 'POST', url, headers, payload: body as object })
    }
  }
}

