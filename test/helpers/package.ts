import { execFile } from 'node:child_process'
import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const exec = promisify(execFile)
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/**
 * This process's environment without what `npm test` and tap add to it: npm's `npm_*` settings
 * would steer the nested npm, and tap's NODE_OPTIONS (its loaders, coverage) would load this
 * repository's node_modules into a consumer's process.
 */
export function cleanEnv (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(npm_|TAP|_TAPJS|NODE_OPTIONS$|NODE_V8_COVERAGE$)/i.test(name)) env[name] = value
  }
  return { ...env, ...extra }
}

/**
 * `command` and `args` as a stranger's shell would start them. Through `env -u NODE_OPTIONS`:
 * tap's process-info hook puts its loader back into NODE_OPTIONS of every process this one
 * spawns, and that loader (with its require hook) has no place in a consumer's process.
 */
export function outsideTap (command: string, args: readonly string[]): [string, string[]] {
  return ['env', ['-u', 'NODE_OPTIONS', command, ...args]]
}

/** Runs a command; its output is in the error when it fails. */
export async function run (command: string, args: readonly string[], cwd: string, env = cleanEnv()): Promise<string> {
  try {
    const { stdout } = await exec(...outsideTap(command, args), { cwd, env, maxBuffer: 64 * 1024 * 1024 })
    return stdout
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string, stderr?: string }
    throw new Error(`${command} ${args.join(' ')} failed\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: err })
  }
}

/**
 * The repository as a clean clone has it: the files git tracks, as they are in the work tree
 * (uncommitted edits included, so the test sees them), without node_modules or dist/. The build
 * tools come from this repository's node_modules, linked in: a clone would install the same
 * devDependencies first.
 */
export async function cleanCopy (to: string): Promise<void> {
  const tracked = (await run('git', ['ls-files', '-z'], root)).split('\0').filter((path) => path !== '')
  for (const path of tracked) {
    await mkdir(dirname(join(to, path)), { recursive: true })
    // A tracked file deleted in the work tree is not part of the tree under test.
    await copyFile(join(root, path), join(to, path)).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err })
  }
  await symlink(join(root, 'node_modules'), join(to, 'node_modules'), 'junction')
}

export interface Packed {
  readonly tarball: string
  readonly files: readonly string[]
}

/** `npm pack` with its lifecycle scripts, as `npm publish` and a git install run it. */
export async function pack (dir: string, destination: string): Promise<Packed> {
  const stdout = await run(npm, ['pack', '--json', '--pack-destination', destination], dir)
  // The prepack script's output comes first; npm prints the JSON last.
  const [result] = JSON.parse(stdout.slice(stdout.lastIndexOf('\n[') + 1)) as Array<{ filename: string, files: Array<{ path: string }> }>
  if (result === undefined) throw new Error(`npm pack printed no result: ${stdout}`)
  return { tarball: join(destination, result.filename), files: result.files.map((file) => file.path).sort() }
}

/** A fresh app in `dir` with `packages` installed from the registry (or a tarball path), as a user would. */
export async function install (dir: string, packages: readonly string[], env = cleanEnv()): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'package.json'), '{ "private": true }\n', { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err
  })
  await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', ...packages], dir, env)
}

/** The version of `name` an app got. */
export async function installed (app: string, name: string): Promise<string> {
  return (JSON.parse(await readFile(join(app, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
}

/** What npm says when no listed version matches what was asked for. */
const NOTARGET = /\bETARGET\b|\bnotarget\b/

/**
 * Installs the newest version of `name` that the registry delivers, and says which. Its `latest`
 * tag can name a version that its version list does not hold (npm's ETARGET, "notarget"), as when
 * a registry holds back recent versions, or when the list npm cached is older than the tag; a
 * user's install would fail the same way and take the newest that installs. That is tried next:
 * the listed stable versions from the newest down, with the list fetched afresh, a few at most.
 */
export async function installNewest (dir: string, name: string): Promise<string> {
  try {
    await install(dir, [`${name}@latest`])
    return await installed(dir, name)
  } catch (err) {
    if (!NOTARGET.test(String(err))) throw err
  }
  const listed = JSON.parse(await run(npm, ['view', name, 'versions', '--json', '--prefer-online'], dir)) as string[]
  const stable = listed.filter((listedVersion) => /^\d+\.\d+\.\d+$/.test(listedVersion)).reverse().slice(0, 5)
  for (const [index, candidate] of stable.entries()) {
    try {
      await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-online', `${name}@${candidate}`], dir)
      return await installed(dir, name)
    } catch (err) {
      if (index === stable.length - 1 || !NOTARGET.test(String(err))) throw err
    }
  }
  throw new Error(`the registry lists no stable version of ${name}`)
}
