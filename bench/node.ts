import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { benchFile } from './processes.js'

// `BENCH_NODE=24 npm run bench` (or 22): the benchmark command runs again on that Node, its servers
// and load generator with it (they are forked from it). The machine's Node is 20; users run 22 and
// 24, whose V8 differs where it counts (on 20, an object spread on send-link's path cost 25 times
// what it costs on 22 and 24).
//
// First use installs `node@<major>` into bench/results/node/<major>/ (git-ignored, kept for later
// runs), and better-sqlite3 13 beside it. Not the project's 12: its addon is built against one Node's
// ABI (this machine's), and one built for 24.19 or later aborts when V8 collects a statement
// (nodejs/node#65446). 13 is a Node-API addon with prebuilt binaries in the package, which runs on
// any Node from 22 on and needs no compiler; it is what `npm install better-sqlite3` gives a user of
// 22 or 24 today. The project's node_modules is not touched.

const NODES = benchFile('results/node/')
const MAJOR = /^[1-9][0-9]*$/
// The newest 13 at the time of writing, pinned so that two runs load the same SQLite.
const BETTER_SQLITE3 = '13.2.0'

/** Runs this command again on BENCH_NODE's Node and exits with its status; returns when there is nothing to do. */
export function onRequestedNode (): void {
  const wanted = process.env['BENCH_NODE'] ?? ''
  if (wanted === '' || wanted === process.versions.node.split('.')[0]) return
  if (!MAJOR.test(wanted) || Number(wanted) < 22) {
    console.error(`BENCH_NODE must be a major version from 22 on, such as 24, got "${wanted}"`)
    process.exit(2)
  }
  const { node, sqlite } = install(wanted)
  const result = spawnSync(node, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_SQLITE_MODULE: sqlite }
  })
  process.exit(result.status ?? 1)
}

/** The Node binary of `major` and the better-sqlite3 package for it, installed on first use. */
function install (major: string): { node: string, sqlite: string } {
  const prefix = join(NODES, major)
  // The `node` package installs the binary as a package per platform, nested or hoisted.
  const platform = `node-${process.platform}-${process.arch}`
  const binaries = [join(prefix, 'node_modules', 'node', 'node_modules', platform), join(prefix, 'node_modules', platform)]
    .map((home) => join(home, 'bin', 'node'))
  const sqlite = join(prefix, 'node_modules', 'better-sqlite3')
  const installed = (): string | undefined => existsSync(join(sqlite, 'package.json')) ? binaries.find(existsSync) : undefined
  if (installed() === undefined) {
    console.error(`-- installing node@${major} and better-sqlite3@${BETTER_SQLITE3} into ${prefix}, once`)
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    const args = ['install', '--prefix', prefix, '--no-audit', '--no-fund', `node@${major}`, `better-sqlite3@${BETTER_SQLITE3}`]
    const result = spawnSync(npm, args, { stdio: 'inherit' })
    if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${result.status})`)
  }
  const node = installed()
  if (node === undefined) throw new Error(`node@${major} installed no ${platform} binary under ${prefix}`)
  return { node, sqlite }
}
