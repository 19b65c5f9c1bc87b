import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { compiled } from './build.js'
import { config } from './config.js'

/** A bench child process (a server, the SMTP sink, the hash loop) and its request channel. */
export interface Child {
  /** Its HTTP or SMTP port, when it serves one. */
  readonly port: number | undefined
  readonly url: string
  /** Its process id (the wrapper's, which is the same process, when it runs under one). */
  readonly pid: number | undefined
  call<T = unknown> (type: string, payload?: Record<string, unknown>): Promise<T>
  /** RSS in bytes and CPU time used so far (user + system, in microseconds). */
  stats (): Promise<{ rss: number, cpu: number }>
  /** Asks it to close and exit; kills it if it has not within 10 s. */
  stop (): Promise<void>
}

export interface StartOptions {
  readonly env?: Readonly<Record<string, string | number>>
  readonly execArgv?: readonly string[]
  /** How long it may take to report ready (seeding a peer's tables takes a few seconds). */
  readonly readyTimeout?: number
  /** A git revision: the child runs that commit's lib/ (see build.ts); by default the working tree's. */
  readonly revision?: string
  /**
   * A command the child runs under, Node and its arguments after it (`valgrind --tool=callgrind`):
   * its process is the child's, so signals, the IPC channel and `stats()` reach Node through it.
   */
  readonly wrapper?: readonly [string, ...string[]]
}

interface Reply {
  readonly id?: number
  readonly type?: string
  readonly port?: number
  readonly result?: unknown
  readonly error?: string
}

// What bench/servers/*.ts read from their environment (BENCH_DB, BENCH_MAIL, BENCH_HASH, ...).
const CHILD_SETTINGS = /^BENCH_(DB|DB_FILE|PG_URL|PG_TABLE|MAIL|SMTP_PORT|SMTP_POOL|SMTP_CONNECTIONS|QUEUE_CONCURRENCY|HASH|CONCURRENCY|PEERS_DIR|RATE_LIMIT|DURABLE|REDIS_URL|SPIN)$/

/** The path of a file beside this one, for fork(). */
export function benchFile (relative: string): string {
  return fileURLToPath(new URL(relative, import.meta.url))
}

/** Forks `entry` (a TypeScript file under bench/, run from the build) and waits for it to report ready. */
export async function startChild (entry: string, options: StartOptions = {}): Promise<Child> {
  const profile = config.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${config.cpuProfileDir}`]
  // The children's own settings come only from `options.env`, never from the shell of the run.
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !CHILD_SETTINGS.test(name)) env[name] = value
  for (const [name, value] of Object.entries(options.env ?? {})) env[name] = String(value)
  const [execPath, ...wrapping] = options.wrapper ?? [process.execPath]
  const node = options.wrapper === undefined ? [] : [process.execPath]
  const child = fork(await compiled(entry, options.revision), {
    execPath,
    execArgv: [...wrapping, ...node, ...profile, ...options.execArgv ?? []],
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const port = await ready(child, entry, options.readyTimeout ?? 60_000)
  return handle(child, port)
}

function ready (child: ChildProcess, entry: string, timeout: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${entry} did not start within ${timeout} ms`)) }, timeout)
    const onExit = (code: number | null): void => {
      clearTimeout(timer)
      reject(new Error(`${entry} exited with code ${code} before it was ready`))
    }
    child.once('exit', onExit)
    child.on('message', function onMessage (message: Reply) {
      if (message.type !== 'ready') return
      clearTimeout(timer)
      child.off('exit', onExit)
      child.off('message', onMessage)
      resolve(message.port)
    })
  })
}

function handle (child: ChildProcess, port: number | undefined): Child {
  let next = 0
  const pending = new Map<number, { resolve: (value: unknown) => void, reject: (err: Error) => void }>()
  child.on('message', (message: Reply) => {
    const waiting = message.id === undefined ? undefined : pending.get(message.id)
    if (waiting === undefined || message.id === undefined) return
    pending.delete(message.id)
    if (message.error === undefined) waiting.resolve(message.result)
    else waiting.reject(new Error(message.error))
  })
  child.once('exit', (code) => {
    for (const waiting of pending.values()) waiting.reject(new Error(`the child exited (code ${code})`))
    pending.clear()
  })
  const call = <T>(type: string, payload: Record<string, unknown> = {}): Promise<T> => new Promise<T>((resolve, reject) => {
    const id = next++
    pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
    child.send({ id, type, ...payload })
  })
  return {
    port,
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    call,
    stats: async () => await call<{ rss: number, cpu: number }>('stats'),
    async stop () {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((resolve) => { child.once('exit', () => { resolve() }) })
      const timer = setTimeout(() => { child.kill('SIGKILL') }, 10_000)
      call('close').catch(() => {})
      await exited
      clearTimeout(timer)
    }
  }
}
