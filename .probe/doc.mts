import Fastify from 'fastify'
import swagger from '@fastify/swagger'
import plugin from '../lib/index.js'
const app = Fastify()
await app.register(swagger, { openapi: { info: { title: 't', version: '1' } } })
await app.register(plugin, { prefix: '/a', secret: 'x'.repeat(32), verificationUrl: 'https://f.example/r', deliver: () => {},
  users: { async findByLogin () { return [] }, async findById () { return null }, async replacePasswordHash () { return false } } })
await app.ready()
const d: any = app.swagger()
console.log(JSON.stringify(d.paths['/a/reset-password'].post, null, 1).slice(0, 5000))
console.log(app.swagger({ yaml: true }).length)
