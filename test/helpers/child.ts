import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import type { Test } from 'tap'

/** A Node process started by a test, with what it printed so far. */
export interface Child {
  readonly process: ChildProcess
  /** Every line of stdout and stderr so far, in the order they came. */
  readonly lines: readonly string[]
  /** Resolves with the first line (already printed or still to come) that matches; rejects if the process exits first. */
  waitForLine (match: RegExp): Promise<RegExpExecArray>
  /** Resolves with the exit code (or the signal) once the process has exited. */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/**
 * Starts `node --import tsx <script>` in `cwd`, as `npm start` does; killed in teardown if still running.
 * Lines are kept so that a failed wait can show everything the process said.
 */
export function startNode (t: Test, script: string, options: { cwd: string, env: Record<string, string | undefined> }): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const waiters = new Set<() => void>()
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }))
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line)
      for (const wake of waiters) wake()
    })
  }
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  return {
    process: child,
    lines,
    exited,
    async waitForLine (match) {
      return await new Promise((resolve, reject) => {
        const check = (): void => {
          for (const line of lines) {
            const found = match.exec(line)
            if (found !== null) {
              waiters.delete(check)
              resolve(found)
              return
            }
          }
        }
        waiters.add(check)
        check()
        void exited.then(() => {
          // Lines still buffered in readline arrive before 'close'; give them one turn.
          setImmediate(() => {
            check()
            if (waiters.has(check)) {
              waiters.delete(check)
              reject(new Error(`the process exited before printing ${String(match)}; it printed:\n${lines.join('\n')}`))
            }
          })
        })
      })
    }
  }
}
