import { readFileSync } from 'node:fs'

// The child side of the protocol bench/processes.ts speaks: a server process reports 'ready' with
// its port, then answers requests ({ id, type, ...payload }) with { id, result } or { id, error }.

export type Handler = (payload: Record<string, unknown>) => unknown

export interface ServeOptions {
  /** Starts listening; resolves to the port (undefined for a process that serves no HTTP). */
  readonly listen: () => Promise<number | undefined>
  /** Releases what the process holds before it exits (the HTTP server, the database). */
  readonly close: () => Promise<void>
  readonly handlers?: Readonly<Record<string, Handler>>
}

interface Request {
  readonly id: number
  readonly type: string
  readonly [key: string]: unknown
}

// The options of V8's gc extension (src/extensions/gc-extension.cc).
interface GcOptions {
  readonly type: 'major' | 'minor'
  readonly execution: 'sync' | 'async'
  readonly flavor: 'regular' | 'last-resort'
}

const builtIn: Record<string, Handler> = {
  stats: () => ({ rss: process.memoryUsage().rss, cpu: cpuMicros() }),
  // Needs --expose-gc. Two full GCs, as the first one can leave finalized objects for the second; then
  // V8's last-resort one, which also shrinks the young generation and gives its pages back. Without
  // it the young generation stays at the size it grew to under load (after the same allocations, a
  // new space of 64 MB on Node 24 and 32 on 20), and RSS counted that as if the process kept it.
  // Node 20's V8 keeps its young generation either way, and its GC with options frees little: there
  // the plain ones do the work.
  gc: () => {
    const gc = (globalThis as { gc?: (options?: GcOptions) => void }).gc
    if (gc === undefined) throw new Error('start the process with --expose-gc')
    gc()
    gc()
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage()
    return { rss, heapUsed, heapTotal, external, ...residentParts() }
  }
}

/**
 * RSS split as Linux counts it (/proc/self/status): `RssAnon`, the process's own memory (heaps,
 * stacks), and `RssFile`, pages of mapped files (the node binary, shared libraries) that are in
 * memory now. The kernel may drop the second kind at any time and read it back on the next use, so
 * it moves without the process doing anything. Empty where there is no /proc.
 */
function residentParts (): { anon?: number, file?: number } {
  let status: string
  try {
    status = readFileSync('/proc/self/status', 'utf8')
  } catch {
    return {}
  }
  const kb = (name: string): number | undefined => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)
    return match === null ? undefined : Number(match[1]) * 1024
  }
  const [anon, file] = [kb('RssAnon'), kb('RssFile')]
  return { ...(anon === undefined ? {} : { anon }), ...(file === undefined ? {} : { file }) }
}

function cpuMicros (): number {
  const { user, system } = process.cpuUsage()
  return user + system
}

function send (message: unknown): void {
  process.send?.(message)
}

/** Runs a bench child: listens, tells the parent, serves its requests until it says 'close'. */
export function serve ({ listen, close, handlers = {} }: ServeOptions): void {
  const all = { ...builtIn, ...handlers }
  process.on('message', (raw) => {
    const { id, type, ...payload } = raw as Request
    if (type === 'close') {
      // process.exit(), not a signal: --cpu-prof writes its profile only on a normal exit.
      close().finally(() => { send({ id, result: null }); process.exit(0) })
      return
    }
    const handler = all[type]
    Promise.resolve()
      .then(() => {
        if (handler === undefined) throw new Error(`unknown request "${type}"`)
        return handler(payload)
      })
      .then((result) => { send({ id, result }) }, (err: Error) => { send({ id, error: err.message }) })
  })
  // A parent that died must not leave the server running.
  process.on('disconnect', () => { process.exit(1) })
  listen().then((port) => { send({ type: 'ready', port }) }, (err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}

/** A number from the environment the parent set. */
export function envNumber (name: string, fallback?: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') {
    if (fallback === undefined) throw new Error(`${name} is not set`)
    return fallback
  }
  return Number(raw)
}

export function envString (name: string, fallback?: string): string {
  const raw = process.env[name]
  if (raw === undefined || raw === '') {
    if (fallback === undefined) throw new Error(`${name} is not set`)
    return fallback
  }
  return raw
}
