import Fastify from 'fastify'
import plugin from '../lib/index.js'
const app = Fastify()
await app.register(plugin, { prefix: '/a', secret: 'x'.repeat(32), verificationUrl: 'https://f.example/r', deliver: () => {},
  users: { async findByLogin () { return [] }, async findById () { return null }, async replacePasswordHash () { return false } }, rateLimit: { sendLink: { perIp: { max: 1, timeWindow: 60000 } } } })
const cases: Array<[string, string, string | undefined]> = [
  ['send-reset-password-link', 'application/json', '{"login":"a"}'],
  ['send-reset-password-link', 'application/json', '{"login":"a"}'],
  ['reset-password', 'application/json', ''],
  ['reset-password', 'application/json', '{bad'],
  ['reset-password', 'application/json', '{}'],
  ['reset-password', 'text/plain', 'x'],
  ['reset-password', 'application/json', JSON.stringify({ x: 'y'.repeat(40000) })],
  ['reset-password', 'application/json', JSON.stringify({ user_id: 1, timestamp: 1, signature: 'x', password: 'p' })],
]
for (const [u, ct, body] of cases) {
  const r = await app.inject({ method: 'POST', url: '/a/' + u, headers: { 'content-type': ct }, payload: body })
  console.log(r.statusCode, r.body, r.headers['retry-after'])
}
const r = await app.inject({ method: 'POST', url: '/a/reset-password', payload: '' })
console.log(r.statusCode, r.body)
await app.close()
