import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { docBlocks, root } from './helpers/docs.js'
import { startNode } from './helpers/child.js'
import { linkFrom, startSmtpSink } from './helpers/smtp.js'

const SECRET = 'quick-start-secret-for-tests-0123456789'
const NEW_PASSWORD = 'a new long password'

/** The README's quick start: the first TypeScript block under "## Quick start". */
async function quickStart (): Promise<string> {
  const readme = (await readFile(join(root, 'README.md'), 'utf8')).split('\n')
  const heading = readme.indexOf('## Quick start') + 1
  const block = (await docBlocks()).find((b) => b.file === 'README.md' && b.lang === 'ts' && b.line > heading)
  if (heading === 0 || block === undefined) throw new Error('README.md has no "## Quick start" with a ts block')
  return block.code
}

/**
 * A project holding only the quick start as `server.ts`, as a new user would save it: its imports
 * resolve from this repository's node_modules, and 'fastify-reset-password' to the sources (tsx
 * reads the `paths` of the project's tsconfig).
 */
async function project (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fastify-reset-password-quick-start-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  await writeFile(join(dir, 'server.ts'), await quickStart())
  await writeFile(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }))
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { paths: { 'fastify-reset-password': [join(root, 'lib', 'index.ts')] } } }))
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'junction')
  return dir
}

async function post (base: string, path: string, body: unknown): Promise<{ status: number, body: unknown }> {
  const res = await fetch(new URL(path, base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: await res.json() }
}

t.test('the quick start runs as pasted: a printed link resets the password, and the new one logs in', async (t) => {
  const dir = await project()
  const server = startNode(t, 'server.ts', {
    cwd: dir,
    // No SMTP_URL: the quick start prints each mail.
    env: { ...process.env, SMTP_URL: undefined, RESET_SECRET: SECRET, DATABASE: join(dir, 'app.sqlite'), PORT: '0' }
  })
  const [, base = ''] = await server.waitForLine(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/)

  t.same(await post(base, '/api/v1/accounts/send-reset-password-link', { login: 'Alice@Example.com' }), {
    status: 200,
    body: { detail: 'If the login belongs to an account, a reset link was sent to its e-mail address' }
  })
  await server.waitForLine(/^--- mail to alice@example\.com: Reset your password$/)
  const [link = ''] = await server.waitForLine(/^http:\/\/localhost:3000\/reset-password\/\?\S+$/)
  const params = Object.fromEntries(new URL(link).searchParams)
  t.same(Object.keys(params).sort(), ['signature', 'timestamp', 'user_id'])

  t.equal((await post(base, '/api/v1/accounts/reset-password', { ...params, password: NEW_PASSWORD })).status, 200)
  t.equal((await post(base, '/api/v1/accounts/login', { username: 'alice', password: NEW_PASSWORD })).status, 200, 'the new password logs in')
  t.equal((await post(base, '/api/v1/accounts/login', { username: 'alice', password: 'alice-password-1' })).status, 401, 'the old one does not')
  t.equal((await post(base, '/api/v1/accounts/login', { username: 'alice' })).status, 400, 'a login without a password is a 400')

  server.process.kill('SIGTERM')
  await server.exited
})

t.test('with SMTP_URL the quick start mails the link over SMTP', async (t) => {
  const dir = await project()
  const sink = await startSmtpSink(t)
  const server = startNode(t, 'server.ts', {
    cwd: dir,
    env: { ...process.env, SMTP_URL: sink.url, RESET_SECRET: SECRET, DATABASE: join(dir, 'app.sqlite'), PORT: '0' }
  })
  const [, base = ''] = await server.waitForLine(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/)
  t.equal((await post(base, '/api/v1/accounts/send-reset-password-link', { login: 'alice' })).status, 200)
  const [mail] = await sink.waitForMails(1)
  t.same(mail?.to, ['alice@example.com'])
  const params = Object.fromEntries(linkFrom(mail!).searchParams)
  t.equal((await post(base, '/api/v1/accounts/reset-password', { ...params, password: NEW_PASSWORD })).status, 200)
  server.process.kill('SIGTERM')
  await server.exited
})

t.test('the quick start refuses to start without a secret, and says how to make one', async (t) => {
  const dir = await project()
  const server = startNode(t, 'server.ts', { cwd: dir, env: { ...process.env, RESET_SECRET: undefined, DATABASE: join(dir, 'app.sqlite'), PORT: '0' } })
  await server.waitForLine(/Set RESET_SECRET to 32 or more random characters/)
  t.not((await server.exited).code, 0)
})
