import { rotatingClients } from '../clients.js'
import { config } from '../config.js'
import type { Served } from '../measure.js'
import { benchFile, startChild } from '../processes.js'
import { PG_TABLE, seedPostgres } from '../seed/postgres.js'
import { sqliteCopy } from '../seed/sqlite.js'
import { NEW_PASSWORD } from '../seed/users.js'

// Starters of the server processes the scenarios load, on a private copy of the seeded SQLite file
// or on the PostgreSQL table.

export type Db = 'sqlite' | 'postgres'

export const SEND_LINK = '/api/v1/accounts/send-reset-password-link'
export const RESET = '/api/v1/accounts/reset-password'
export const SEND_CODE = '/api/v1/accounts/send-reset-password-code'

interface Store {
  readonly env: Record<string, string>
  readonly cleanup: () => Promise<void>
}

async function store (db: Db): Promise<Store> {
  if (db === 'postgres') {
    return { env: { BENCH_DB: 'postgres', BENCH_PG_URL: config.pgUrl, BENCH_PG_TABLE: PG_TABLE }, cleanup: async () => {} }
  }
  const copy = await sqliteCopy(config.users)
  return { env: { BENCH_DB: 'sqlite', BENCH_DB_FILE: copy.file }, cleanup: copy.remove }
}

export interface ServerOptions {
  readonly env?: Readonly<Record<string, string | number>>
  readonly execArgv?: readonly string[]
  /** A git revision whose lib/ the server runs (`npm run bench:compare`); by default the working tree's. */
  readonly revision?: string
}

async function start (entry: string, db: Db, options: ServerOptions = {}): Promise<Omit<Served, 'path' | 'body'>> {
  const { env, cleanup } = await store(db)
  try {
    const child = await startChild(benchFile(entry), { env: { ...env, ...options.env }, execArgv: options.execArgv ?? [], revision: options.revision })
    return { child, cleanup }
  } catch (err) {
    await cleanup()
    throw err
  }
}

/**
 * `start`, with every request from another client address (bench/clients.ts). For the plugin with
 * its rate limits on, and for the targets it is compared with, so that all parse the same requests.
 */
export function withClients (start: () => Promise<Served>): () => Promise<Served> {
  return async () => ({ ...await start(), headers: rotatingClients() })
}

/** Scenario 1: the bare Fastify route. `body` is made per measurement, so each one rotates from user 1. */
export function baselineServer (db: Db, body: () => () => string): () => Promise<Served> {
  return async () => ({ ...await start('servers/baseline.ts', db), path: '/send-reset-password-link', body: body() })
}

/** The plugin with its default rate limits, in memory, behind a trusted proxy: load it withClients(). */
export const RATE_LIMITED: ServerOptions = { env: { BENCH_RATE_LIMIT: 'default' } }

/** The plugin's send-link route. */
export function sendLinkServer (db: Db, body: () => () => string, options: ServerOptions = {}): () => Promise<Served> {
  return async () => ({ ...await start('servers/plugin.ts', db, options), path: SEND_LINK, body: body() })
}

/** The plugin's send-code route (the `codes` option is on in servers/plugin.ts). */
export function sendCodeServer (db: Db, body: () => () => string): () => Promise<Served> {
  return async () => ({ ...await start('servers/plugin.ts', db), path: SEND_CODE, body: body() })
}

export interface ResetServerOptions extends ServerOptions {
  /**
   * The index of the first pre-issued link the requests use (default 0). Two servers resetting the
   * users of one PostgreSQL table at once must not spend each other's links (`npm run bench:compare`).
   */
  readonly from?: number
}

/**
 * The plugin's reset route, every request with a fresh link for the next user, pre-issued by the
 * server's signer. On PostgreSQL the table is seeded again first: the previous server changed hashes.
 */
export function resetServer (db: Db, hash: 'default' | 'cheap', options: ResetServerOptions = {}): () => Promise<Served> {
  const { from = 0, ...server } = options
  return async () => {
    if (db === 'postgres') await seedPostgres(config.pgUrl, config.users)
    const started = await start('servers/plugin.ts', db, { ...server, env: { ...server.env, BENCH_HASH: hash } })
    const links = await started.child.call<Array<Record<string, string>>>('links', { count: config.users })
    let next = from
    // Past the last link the requests fail (400) and show up as failures in the table.
    const body = (): string => JSON.stringify({ ...links[next++ % links.length], password: NEW_PASSWORD })
    return { ...started, path: RESET, body }
  }
}
