import Fastify from 'fastify'
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Detail, SendLinkBody } from '../../lib/schemas.js'
import { SENT } from '../../lib/routes.js'
import { closeStore, openStore } from './database.js'
import { serve } from './ipc.js'

// Scenario 1, the ceiling for send-link: a bare Fastify route with the plugin's own body and reply
// schemas, validator and reply, that looks the login up in the same table with one prepared
// statement. No signing, no mail, no second lookup.

const store = openStore()
// On SQLite the login goes in as `(select ?)`, as kyselyUsers passes it: the seeded file has
// statistics (sqlite_stat4), and a bare `lower(?)` against the index made SQLite compile the statement
// again on every call. Both paid that until the plugin stopped (28259b2) and this baseline with it.
const sql = (login: string): string => `select id, username, email, password_hash, is_active from ${store.table} where lower(email) = lower(${login})`
const find: (login: string) => Promise<unknown[]> = store.kind === 'sqlite'
  ? ((statement) => async (login) => statement.all(login))(store.sqlite.prepare(sql('(select ?)')))
  : async (login) => (await store.pool.query({ name: 'find-user', text: sql('$1'), values: [login] })).rows

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
