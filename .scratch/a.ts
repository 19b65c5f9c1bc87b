import t from 'tap'
import { buildApp } from '../test/helpers/app.js'
t.test('x', async t => {
  const h = await buildApp(t, { plugin: { rateLimit: undefined } })
  if (!h) return
  await h.addUser({ username: 'alice', email: 'alice@example.com' })
  const show = (r: any) => console.log(r.statusCode, JSON.stringify(r.headers), r.body)
  show(await h.app.inject({ method: 'POST', url: '/api/v1/accounts/send-reset-password-link', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'login=alice' }))
  show(await h.app.inject({ method: 'POST', url: '/api/v1/accounts/send-reset-password-link', headers: { 'content-type': 'text/plain' }, payload: '{"login":"alice"}' }))
  show(await h.app.inject({ method: 'POST', url: '/api/v1/accounts/send-reset-password-link', headers: { 'content-type': 'application/json-patch+json' }, payload: '{"login":"alice"}' }))
  show(await h.app.inject({ method: 'POST', url: '/api/v1/accounts/send-reset-password-link', headers: { 'content-type': 'application/jsonx' }, payload: '{"login":"alice"}' }))
  show(await h.app.inject({ method: 'POST', url: '/api/v1/accounts/send-reset-password-link', headers: { 'content-type': 'Application/JSON; charset=utf-8' }, payload: '{"login":"alice"}' }))
  show(await h.app.inject({ method: 'POST', url: '/api/v1/accounts/send-reset-password-link', headers: { 'content-type': 'application/json; charset=latin1' }, payload: '{"login":"alice"}' }))
  show(await h.post('send-reset-password-link', '{"login":"x","__proto__":{"a":1}}'))
  show(await h.post('send-reset-password-link', '{"login":"x","constructor":{"prototype":{"a":1}}}'))
  show(await h.post('send-reset-password-link', '{"login":"x","login":"alice"}'))
  show(await h.post('send-reset-password-link', '{"login":"x"'))
  show(await h.post('send-reset-password-link', 'x'.repeat(40000)))
  show(await h.post('send-reset-password-link', { login: ['a'] }))
  show(await h.post('reset-password', { user_id: 1, timestamp: 1, signature: 'x', password: 'p'.repeat(5000) }))
  show(await h.app.inject({ method: 'POST', url: '/api/v1/accounts/send-reset-password-link' }))
  show(await h.app.inject({ method: 'POST', url: '/api/v1/accounts/send-reset-password-link', headers: { 'content-type': 'application/json' } }))
  for (let i = 0; i < 4; i++) show(await h.post('send-reset-password-link', { login: 'alice' }))
})
