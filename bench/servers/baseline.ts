import Fastify from 'fastify'
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Detail, SendLinkBody } from '../../lib/schemas.js'
import { SENT } from '../../lib/routes.js'
import { bareLookupSql } from '../bare-lookup.js'
import { closeStore, openStore } from './database.js'
import { serve } from './ipc.js'

// Scenario 1, the ceiling for send-link: a bare Fastify route with the plugin's own body and reply
// schemas, validator and reply, that looks the login up in the same table with one prepared
// statement. No signing, no mail, no second lookup.

const store = openStore()
const find: (login: string) => Promise<unknown[]> = store.kind === 'sqlite'
  ? ((statement) => async (login) => statement.all(login))(store.sqlite.prepare(bareLookupSql(store.table, '(select ?)')))
  : async (login) => (await store.pool.query({ name: 'find-user', text: bareLookupSql(store.table, '$1'), values: [login] })).rows

const app = Fastify().withTypeProvider<TypeBoxTypeProvider>()
app.setValidatorCompiler(TypeBoxValidatorCompiler)
app.post('/send-reset-password-link', { schema: { body: SendLinkBody, response: { 200: Detail } } }, async (request) => {
  await find(request.body.login)
  return SENT
})

serve({
  listen: async () => {
    await app.listen({ host: '127.0.0.1', port: 0 })
    return (app.server.address() as { port: number }).port
  },
  close: async () => {
    await app.close()
    await closeStore(store)
  }
})
