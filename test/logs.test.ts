import t from 'tap'
import { buildApp, NEW_PASSWORD, OLD_PASSWORD, SECRET } from './helpers/app.js'
import { linkFrom } from './helpers/smtp.js'

const SEND = 'send-reset-password-link'
const RESET = 'reset-password'

t.test('neither a password, a signature nor the secret is logged at any level, failures included', async (t) => {
  const lines: string[] = []
  // A pino destination: every line the logger writes, at level trace and above.
  const stream = { write (line: string) { lines.push(line) } }
  const h = await buildApp(t, {
    fastify: { logger: { level: 'trace', stream } },
    plugin: { rateLimit: undefined, queue: { attempts: 2, retryDelay: 10, maxRetryDelay: 20, closeTimeout: 500 } }
  })
  if (h === null) return
  const alice = await h.addUser({ username: 'alice', email: 'alice@example.com' })
  const signatures: string[] = []
  h.app.resetPassword.on('linkCreated', ({ link }) => { signatures.push(new URL(link).searchParams.get('signature') as string) })
  const failed: string[] = []
  h.app.resetPassword.on('mailFailed', ({ error }) => { failed.push(error.message) })

  // A link that is mailed, one whose mail fails for good, one whose mail fails and is retried.
  t.equal((await h.post(SEND, { login: 'alice' })).statusCode, 200)
  const [mail] = await h.sink.waitForMails(1)
  const link = Object.fromEntries(linkFrom(mail!).searchParams)
  h.sink.fault({ kind: 'permanent' })
  t.equal((await h.post(SEND, { login: 'alice@example.com' })).statusCode, 200)
  h.sink.fault({ kind: 'temporary' })
  t.equal((await h.post(SEND, { login: 'alice' })).statusCode, 200)
  while (failed.length < 2) await new Promise((resolve) => setTimeout(resolve, 10))
  h.sink.fault({ kind: 'none' })

  const weak = 'weakpw'
  const flipped = (link['signature']!.startsWith('A') ? 'B' : 'A') + link['signature']!.slice(1)
  const attempts: Array<[Record<string, unknown>, number]> = [
    [{ ...link, signature: flipped, password: NEW_PASSWORD }, 400],
    [{ ...link, user_id: '999999', password: NEW_PASSWORD }, 400],
    [{ ...link, password: weak }, 400],
    [{ ...link, password: 'é'.repeat(4097) }, 400],
    [{ ...link, password: NEW_PASSWORD, extra: SECRET }, 400],
    [{ ...link, password: NEW_PASSWORD }, 200],
    [{ ...link, password: NEW_PASSWORD }, 400]
  ]
  for (const [body, status] of attempts) t.equal((await h.post(RESET, body)).statusCode, status)
  const hashes = [await h.hashOf(alice.id)]
  await h.app.close()

  const log = lines.join('')
  const levels = new Set(lines.map((line) => (JSON.parse(line) as { level: number }).level))
  t.ok(levels.has(30) && levels.has(40) && levels.has(50), 'info, warn and error lines were captured')
  t.ok(signatures.length >= 3)
  const secrets = { 'the secret': SECRET, 'the old password': OLD_PASSWORD, 'the new password': NEW_PASSWORD, 'a weak password': weak, 'the new hash': hashes[0]! }
  for (const [name, value] of Object.entries(secrets)) {
    t.notOk(log.includes(value) || log.includes(JSON.stringify(value).slice(1, -1)), `${name} is not logged`)
  }
  for (const signature of [...signatures, flipped]) t.notOk(log.includes(signature), 'no signature is logged')
  t.notOk(log.includes('é'.repeat(16)), 'an over-long password is not logged')
})
