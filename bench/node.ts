import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { benchFile } from './processes.js'

// `BENCH_NODE=24 npm run bench` (or 22): the benchmark command runs again on that Node, its servers
// and load generator with it (they are forked from it). The machine's Node is 20; users run 22 and
// 24, whose V8 differs where it counts (on 20, an object spread on send-link's path cost 25 times
// what it costs on 22 and 24).
//
// First use installs `node@<major>` into bench/results/node/<major>/ (git-ignored, kept for later
// runs) and better-sqlite3 13 into bench/results/node/better-sqlite3/. Not the project's 12: its
// addon is built against one Node's ABI (this machine's), and one built for 24.19 or later aborts
// when V8 collects a statement (nodejs/node#65446). 13 is a Node-API addon with prebuilt binaries in
// the package, which runs on any Node from 22 on and needs no compiler; it is what `npm install
// better-sqlite3` gives a user of 22 or 24 today. The project's node_modules is not touched.

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
  const result = spawnSync(nodeBinary(wanted), [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_SQLITE_MODULE: betterSqlite3() }
  })
  process.exit(result.status ?? 1)
}

function npmInstall (prefix: string, spec: string): void {
  // From scratch: npm prunes what the `node` package's own install script added, when it installs into the prefix again.
  rmSync(prefix, { recursive: true, force: true })
  console.error(`-- installing ${spec} into ${prefix}, once`)
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const args = ['install', '--prefix', prefix, '--no-audit', '--no-fund', spec]
  const result = spawnSync(npm, args, { stdio: 'inherit' })
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${result.status})`)
}

/** The binary of node@`major`, installed on first use. */
function nodeBinary (major: string): string {
  const prefix = join(NODES, major)
  // The `node` package installs the binary as a package per platform, nested or hoisted.
  const platform = `node-${process.platform}-${process.arch}`
  const binaries = [join(prefix, 'node_modules', 'node', 'node_modules', platform), join(prefix, 'node_modules', platform)]
    .map((home) => join(home, 'bin', 'node'))
  if (!binaries.some(existsSync)) npmInstall(prefix, `node@${major}`)
  const node = binaries.find(existsSync)
  if (node === undefined) throw new Error(`node@${major} installed no ${platform} binary under ${prefix}`)
  return node
}

/** The better-sqlite3 package, installed on first use: one for every Node, as a Node-API addon loads on any. */
function betterSqlite3 (): string {
  const prefix = join(NODES, 'better-sqlite3')
  const sqlite = join(prefix, 'node_modules', 'better-sqlite3')
  const manifest = join(sqlite, 'package.json')
  // A folder from before the pin moved is installed again.
  const version = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version : undefined
  if (version !== BETTER_SQLITE3) npmInstall(prefix, `better-sqlite3@${BETTER_SQLITE3}`)
  return sqlite
}
