import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

// The processes under test run plain JavaScript, as an app runs the built package: lib/ and bench/
// transpiled once (no type check; `npm run typecheck` does that) into bench/results/build/<hash>/.
// Through tsx's loader every child took about a second longer to start, for a few dozen children a run.

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BUILDS = join(ROOT, 'bench/results/build')
const SKIP = new Set(['node_modules', 'results'])

// How long a bench process waits for another one making the same build (about a second) before it
// takes the lock as left over by a process that died, and builds itself.
const BUILD_TIMEOUT = 20_000

async function sources (dir: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (!SKIP.has(entry.name)) found.push(...await sources(path))
    } else if (isSource(entry.name)) {
      found.push(path)
    }
  }
  return found
}

const isSource = (name: string): boolean => name.endsWith('.ts') && !name.endsWith('.d.ts')

/** A source file to transpile: its path relative to the repository, and its text. */
interface Source { readonly path: string, readonly text: string }

async function fromWorkingTree (dir: string): Promise<Source[]> {
  const files = await sources(join(ROOT, dir))
  return await Promise.all(files.map(async (file) => ({ path: relative(ROOT, file), text: await readFile(file, 'utf8') })))
}

async function git (...args: string[]): Promise<string> {
  return (await run('git', args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 })).stdout
}

/** The commit `revision` names, or an error that says it names none. */
export async function commitOf (revision: string): Promise<string> {
  try {
    return (await git('rev-parse', '--verify', '--quiet', '--end-of-options', `${revision}^{commit}`)).trim()
  } catch {
    throw new Error(`${revision} names no commit of this repository`)
  }
}

async function fromCommit (commit: string, dir: string): Promise<Source[]> {
  const paths = (await git('ls-tree', '-r', '-z', '--name-only', commit, '--', `${dir}/`)).split('\0')
    .filter((path) => isSource(path) && !path.split('/').some((part) => SKIP.has(part)))
  return await Promise.all(paths.map(async (path) => ({ path, text: await git('show', `${commit}:${path}`) })))
}

// Builds of older sources are removed once a day old, not at once: a bench started before the
// sources changed (or the smoke test of another checkout's suite) may still be running from one.
const KEEP_BUILDS = 24 * 60 * 60 * 1000

async function prune (): Promise<void> {
  for (const entry of await readdir(BUILDS)) {
    const path = join(BUILDS, entry)
    const { mtimeMs } = await stat(path)
    if (Date.now() - mtimeMs > KEEP_BUILDS) await rm(path, { recursive: true, force: true })
  }
}

async function has (name: string): Promise<boolean> {
  return (await readdir(BUILDS)).includes(name)
}

const builds = new Map<string, Promise<string>>()

/**
 * The folder of a build of bench/ and lib/ as they are in the working tree, or, given a git
 * `revision`, of bench/ as it is with lib/ as it was at that commit (what `npm run bench:compare`
 * runs: the same servers around two versions of the plugin). Made if not made yet. Named by a hash
 * of the sources, so that bench processes running at once (as in the smoke test) share one build:
 * the first to create `<hash>.lock` makes it under a temporary name and renames it, the others
 * wait for it.
 */
export async function build (revision?: string): Promise<string> {
  const key = revision ?? ''
  let made = builds.get(key)
  if (made === undefined) {
    made = make(revision)
    builds.set(key, made)
  }
  return await made
}

async function make (revision: string | undefined): Promise<string> {
  const lib = revision === undefined ? await fromWorkingTree('lib') : await fromCommit(await commitOf(revision), 'lib')
  const files = [...lib, ...await fromWorkingTree('bench')].sort((a, b) => a.path < b.path ? -1 : 1)
  const hash = createHash('sha256')
  for (const { path, text } of files) hash.update(path).update('\0').update(text).update('\0')
  const name = hash.digest('hex').slice(0, 16)
  const folder = join(BUILDS, name)
  await mkdir(BUILDS, { recursive: true })
  if (await has(name)) return folder
  const locked = await mkdir(`${folder}.lock`).then(() => true, () => false)
  if (!locked) {
    const deadline = Date.now() + BUILD_TIMEOUT
    while (Date.now() < deadline) {
      if (await has(name)) return folder
      await sleep(50)
    }
  }
  try {
    const { default: ts } = await import('typescript')
    // As tsconfig.json compiles: ES2022, ES modules.
    const compilerOptions = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true }
    const partial = `${folder}.tmp-${process.pid}`
    await Promise.all(files.map(async ({ path, text }) => {
      const target = join(partial, path).replace(/\.ts$/, '.js')
      await mkdir(dirname(target), { recursive: true })
      await writeFile(target, ts.transpileModule(text, { fileName: join(ROOT, path), compilerOptions }).outputText)
    }))
    // A process that waited out a dead lock may race another such one: the first rename wins.
    await rename(partial, folder).catch(async () => { await rm(partial, { recursive: true, force: true }) })
  } finally {
    await rm(`${folder}.lock`, { recursive: true, force: true })
  }
  await prune()
  return folder
}

/** Where the build (of `revision`'s lib/, see build()) holds the JavaScript of `source`, a .ts file under lib/ or bench/. */
export async function compiled (source: string, revision?: string): Promise<string> {
  return join(await build(revision), relative(ROOT, source)).replace(/\.ts$/, '.js')
}
