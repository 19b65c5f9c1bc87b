import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildExample } from '../example/app.js'
import { DEMO_USER } from '../example/db.js'

t.test('the example prints a link for the demo user, the link resets the password and the new one logs in', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'example-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const printed: string[] = []
  const app = await buildExample({ database: join(dir, 'example.sqlite'), publicUrl: 'http://localhost:3000/', print: (text) => { printed.push(text) } })
  t.teardown(async () => { await app.close() })

  const login = async (password: string): Promise<number> => (await app.inject({
    method: 'POST', url: '/api/v1/accounts/login', payload: { login: DEMO_USER.username, password }
  })).statusCode
  t.equal(await login(DEMO_USER.password), 200, 'the demo user logs in with the documented password')

  const sent = await app.inject({ method: 'POST', url: '/api/v1/accounts/send-reset-password-link', payload: { login: DEMO_USER.username } })
  t.equal(sent.statusCode, 200)
  while (printed.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
  const link = new URL(/^http:\/\/localhost:3000\/reset-password\/\?\S+$/m.exec(printed[0]!)![0])
  t.match(printed[0], `mail to ${DEMO_USER.email}`)

  const reset = await app.inject({
    method: 'POST',
    url: '/api/v1/accounts/reset-password',
    payload: { ...Object.fromEntries(link.searchParams), password: 'a brand new demo passphrase' }
  })
  t.equal(reset.statusCode, 200)
  t.equal(await login('a brand new demo passphrase'), 200)
  t.equal(await login(DEMO_USER.password), 401)
})
