import t from 'tap'
import { buildApp } from '../test/helpers/app.js'
t.test('x', async t => {
  const h = await buildApp(t, { plugin: { rateLimit: undefined } })
  if (!h) return
  for (let i = 0; i < 6; i++) {
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/accounts/send-reset-password-link', remoteAddress: `10.0.0.${i}`, headers: { 'content-type': 'application/json' }, payload: '{"login":"alice"}' })
    console.log(r.statusCode, r.headers['x-ratelimit-limit'])
  }
  for (let i = 0; i < 12; i++) {
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/accounts/reset-password', remoteAddress: `10.0.1.${i}`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ user_id: '1', timestamp: 1, signature: 'x', password: 'y' }) })
    console.log(r.statusCode, r.headers['x-ratelimit-limit'])
  }
})
