import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import type { Test } from 'tap'

const run = promisify(execFile)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

// Node before 20.19 (and 22.12) cannot require() an ES module; on later versions this flag makes it behave the same.
const NO_REQUIRE_ESM = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module') ? ['--no-experimental-require-module'] : []

interface PackedFile { readonly path: string }
interface Manifest {
  readonly dependencies: Record<string, string>
  readonly peerDependencies: Record<string, string>
}

/** `npm pack --json` in `dir`; npm writes warnings to stderr and the JSON to stdout. */
async function pack (...args: string[]): Promise<{ filename: string, files: PackedFile[] }> {
  const { stdout } = await run(npm, ['pack', '--json', '--ignore-scripts', ...args], { cwd: root })
  const [result] = JSON.parse(stdout) as Array<{ filename: string, files: PackedFile[] }>
  if (result === undefined) throw new Error(`npm pack printed no result: ${stdout}`)
  return result
}

/**
 * A project with the packed tarball in node_modules, as `npm install <tarball>` would leave it.
 * Offline, so its dependencies and peer dependencies are linked from this repository's node_modules:
 * exactly those, so a module the package needs but does not declare is missing there too.
 */
async function consumer (t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fastify-reset-password-consumer-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const { filename } = await pack('--pack-destination', dir)
  const installed = join(dir, 'node_modules', 'fastify-reset-password')
  await mkdir(installed, { recursive: true })
  await run('tar', ['-xzf', join(dir, filename), '-C', installed, '--strip-components=1'])
  const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as Manifest
  for (const name of [...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)]) {
    const link = join(dir, 'node_modules', name)
    await mkdir(dirname(link), { recursive: true })
    await symlink(join(root, 'node_modules', name), link, 'junction')
  }
  await writeFile(join(dir, 'package.json'), '{ "private": true }\n')
  return dir
}

// Registers the plugin on a real server and asks for a link: that runs the login normalisation
// (unicode-case-folding) too. Over HTTP, since fastify.inject() itself needs require(esm) there.
const SMOKE = `
  const app = fastify()
  await app.register(resetPassword, {
    secret: 'a-secret-of-at-least-thirty-two-characters',
    verificationUrl: 'https://frontend.example/reset-password/',
    users: { findByLogin: async () => [], findById: async () => null, replacePasswordHash: async () => false },
    deliver: () => {}
  })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const reply = await fetch(address + '/send-reset-password-link', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'İlke@Example.com' })
  })
  await app.close()
  console.log(JSON.stringify({ resolved, status: reply.status, exports: Object.keys(api).sort() }))
`

t.before(async () => {
  await run(npm, ['run', 'build'], { cwd: root })
})

t.test('the package holds the two builds, README.md, LICENSE and package.json, and nothing else', async (t) => {
  const { files } = await pack('--dry-run')
  const paths = files.map((file) => file.path).sort()
  t.same(paths.filter((path) => !path.startsWith('dist/')), ['LICENSE', 'README.md', 'package.json'])
  for (const path of ['dist/index.js', 'dist/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json']) {
    t.ok(paths.includes(path), `${path} is packed`)
  }
  t.notOk(paths.some((path) => path.endsWith('.ts') && !path.endsWith('.d.ts')), 'no TypeScript sources')
  t.notOk(paths.some((path) => path.endsWith('.map')), 'no source maps pointing at unpacked sources')
})

t.test('require() and import each load their own build from the packed tarball', async (t) => {
  const dir = await consumer(t)

  const required = await run(process.execPath, [...NO_REQUIRE_ESM, '-e', `
    const api = require('fastify-reset-password')
    const resetPassword = api.default
    const fastify = require('fastify')
    const resolved = require.resolve('fastify-reset-password')
    ;(async () => { ${SMOKE} })().catch((err) => { console.error(err); process.exit(1) })
  `], { cwd: dir })
  const cjs = JSON.parse(required.stdout) as { resolved: string, status: number, exports: string[] }
  t.match(cjs.resolved, /node_modules[\\/]fastify-reset-password[\\/]dist[\\/]cjs[\\/]index\.js$/)
  t.equal(cjs.status, 200, 'require(): the plugin answers')

  const imported = await run(process.execPath, ['--input-type=module', '-e', `
    import { fileURLToPath } from 'node:url'
    import fastify from 'fastify'
    import resetPassword, * as api from 'fastify-reset-password'
    const resolved = fileURLToPath(import.meta.resolve('fastify-reset-password'))
    ${SMOKE}
  `], { cwd: dir })
  const esm = JSON.parse(imported.stdout) as { resolved: string, status: number, exports: string[] }
  t.match(esm.resolved, /node_modules[\\/]fastify-reset-password[\\/]dist[\\/]index\.js$/)
  t.equal(esm.status, 200, 'import: the plugin answers')

  t.same(cjs.exports, esm.exports, 'both builds export the same names')
})

t.test('fastify-reset-password/bullmq loads from each build, and the package root does not load bullmq', async (t) => {
  const dir = await consumer(t)
  const required = await run(process.execPath, [...NO_REQUIRE_ESM, '-e', `
    const root = require('fastify-reset-password')
    const rootLoadsBullmq = Object.keys(require.cache).some((file) => file.includes('node_modules/bullmq/'))
    const api = require('fastify-reset-password/bullmq')
    console.log(JSON.stringify({ rootLoadsBullmq, resolved: require.resolve('fastify-reset-password/bullmq'), exports: Object.keys(api).sort(), root: typeof root.default }))
  `], { cwd: dir })
  const cjs = JSON.parse(required.stdout) as { rootLoadsBullmq: boolean, resolved: string, exports: string[] }
  t.equal(cjs.rootLoadsBullmq, false, 'an app without bullmq installed can use the package root')
  t.match(cjs.resolved, /dist[\\/]cjs[\\/]bullmq[\\/]index\.js$/)
  t.same(cjs.exports, ['bullmqProducer', 'bullmqWorker'])

  const imported = await run(process.execPath, ['--input-type=module', '-e', `
    import { fileURLToPath } from 'node:url'
    import * as api from 'fastify-reset-password/bullmq'
    console.log(JSON.stringify({ resolved: fileURLToPath(import.meta.resolve('fastify-reset-password/bullmq')), exports: Object.keys(api).sort() }))
  `], { cwd: dir })
  const esm = JSON.parse(imported.stdout) as { resolved: string, exports: string[] }
  t.match(esm.resolved, /dist[\\/]bullmq[\\/]index\.js$/)
  t.same(esm.exports, ['bullmqProducer', 'bullmqWorker'])
})

t.test('TypeScript finds the declarations of each build, for import and for require', async (t) => {
  const dir = await consumer(t)
  const probe = (from: string) => `
    const options: ResetPasswordOptions = {
      secret: 'a-secret-of-at-least-thirty-two-characters',
      verificationUrl: 'https://frontend.example/reset-password/',
      users: { findByLogin: async () => [], findById: async () => null, replacePasswordHash: async () => false },
      mail: { transport: 'smtp://127.0.0.1', from: 'no-reply@example.com' }
    }
    const plugin: FastifyPluginAsync<ResetPasswordOptions> = resetPassword
    // @ts-expect-error ${from}: a number is not a mail transport (this fails if the type fell back to any)
    const transport: MailTransport = 42
    // @ts-expect-error ${from}: the catalog's errors take no arguments
    const error = new errors.UserNotFoundError('unexpected')
    export { options, plugin, transport, error }
  `
  await writeFile(join(dir, 'esm.mts'), `
    import type { FastifyPluginAsync } from 'fastify'
    import resetPassword, { errors, type MailTransport, type ResetPasswordOptions } from 'fastify-reset-password'
    ${probe('import')}
  `)
  await writeFile(join(dir, 'cjs.cts'), `
    import type { FastifyPluginAsync } from 'fastify'
    import api = require('fastify-reset-password')
    const { default: resetPassword, errors } = api
    type MailTransport = api.MailTransport
    type ResetPasswordOptions = api.ResetPasswordOptions
    ${probe('require')}
  `)
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true },
    files: ['esm.mts', 'cjs.cts']
  }))
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const { stdout } = await run(process.execPath, [tsc, '-p', dir, '--listFilesOnly'], { cwd: dir })
  const declarations = stdout.split('\n').filter((file) => file.includes('node_modules/fastify-reset-password/'))
  t.ok(declarations.some((file) => file.endsWith('/dist/index.d.ts')), 'import uses dist/index.d.ts')
  t.ok(declarations.some((file) => file.endsWith('/dist/cjs/index.d.ts')), 'require uses dist/cjs/index.d.ts')
  const checked = await run(process.execPath, [tsc, '-p', dir], { cwd: dir }).then(() => '', (err: { stdout: string }) => err.stdout)
  t.equal(checked, '', 'both consumers type-check')
})
