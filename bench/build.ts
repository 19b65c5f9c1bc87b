import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

// The processes under test run plain JavaScript, as an app runs the built package: lib/ and bench/
// transpiled once (no type check; `npm run typecheck` does that) into bench/results/build/<hash>/.
// Through tsx's loader every child took about a second longer to start, for a few dozen children a run.

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BUILDS = join(ROOT, 'bench/results/build')
const SOURCES = ['lib', 'bench']
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
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      found.push(path)
    }
  }
  return found
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

let built: Promise<string> | undefined

/**
 * The folder of the current build, made if the sources changed. Named by a hash of the sources, so
 * that bench processes running at once (as in the smoke test) share one build: the first to create
 * `<hash>.lock` makes it under a temporary name and renames it, the others wait for it.
 */
export async function build (): Promise<string> {
  built ??= (async () => {
    const files = (await Promise.all(SOURCES.map(async (dir) => await sources(join(ROOT, dir))))).flat().sort()
    const texts = await Promise.all(files.map(async (file) => await readFile(file, 'utf8')))
    const hash = createHash('sha256')
    files.forEach((file, i) => hash.update(relative(ROOT, file)).update('\0').update(texts[i] as string).update('\0'))
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
      await Promise.all(files.map(async (file, i) => {
        const target = join(partial, relative(ROOT, file)).replace(/\.ts$/, '.js')
        await mkdir(dirname(target), { recursive: true })
        await writeFile(target, ts.transpileModule(texts[i] as string, { fileName: file, compilerOptions }).outputText)
      }))
      // A process that waited out a dead lock may race another such one: the first rename wins.
      await rename(partial, folder).catch(async () => { await rm(partial, { recursive: true, force: true }) })
    } finally {
      await rm(`${folder}.lock`, { recursive: true, force: true })
    }
    await prune()
    return folder
  })()
  return await built
}

/** Where the build holds the JavaScript of `source`, a .ts file under lib/ or bench/. */
export async function compiled (source: string): Promise<string> {
  return join(await build(), relative(ROOT, source)).replace(/\.ts$/, '.js')
}
