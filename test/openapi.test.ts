import Fastify, { type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import { FormatRegistry, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import t from 'tap'
import type { Test } from 'tap'
import resetPassword, { kyselyUsers, type PasswordReason, type ResetPasswordOptions } from '../lib/index.js'
import { SENT } from '../lib/routes.js'
import { LINK_VALID, RESET } from '../lib/handlers.js'
import { resetPasswordSchema, sendLinkSchema, verifyLinkSchema } from '../lib/schemas.js'
import { CODE_SENT, resetWithCodeSchema, sendCodeSchema } from '../lib/codes/schemas.js'
import { cheapHash, NEW_PASSWORD, PREFIX, SECRET, VERIFICATION_URL } from './helpers/app.js'
import { createUsersTable, insertUser, openDatabase } from './helpers/db.js'

// The parts of an OpenAPI 3 document these tests read.
interface Media {
  schema: { required?: string[], properties?: Record<string, unknown> }
  example?: unknown
  examples?: Record<string, { value: unknown }>
}
interface Operation {
  summary?: string
  description?: string
  tags?: string[]
  requestBody?: { required?: boolean, content: Record<string, Media> }
  responses: Record<string, { description: string, content?: Record<string, Media> }>
}
interface Document {
  paths: Record<string, { post?: Operation }>
}

// TypeBox checks only the formats it is told about; this is the shape Date.prototype.toISOString writes.
FormatRegistry.Set('date-time', (value) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(value))

const STATUSES = ['200', '400', '413', '415', '429', '503']
const SEND_LINK = `${PREFIX}/send-reset-password-link`
const RESET_PASSWORD = `${PREFIX}/reset-password`
const VERIFY_LINK = `${PREFIX}/verify-reset-password-link`
const SEND_CODE = `${PREFIX}/send-reset-password-code`
const RESET_WITH_CODE = `${PREFIX}/reset-password-with-code`

interface DocumentedApp {
  readonly app: FastifyInstance
  /** Adds an active user with an e-mail address and returns its id. */
  addUser (): Promise<string>
  /** For each status sent so far: whether the route had a compiled serialiser for it. */
  readonly serialised: Map<number, boolean>
}

/** @fastify/swagger and the plugin, against a real SQLite users table; mail is dropped. */
async function documentedApp (t: Test, plugin: Partial<ResetPasswordOptions> = {}): Promise<DocumentedApp> {
  const db = await openDatabase(t, 'sqlite')
  if (db === null) throw new Error('SQLite always opens')
  const table = await createUsersTable(db, 'sqlite')
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  const serialised = new Map<number, boolean>()
  app.addHook('onSend', async (_request, reply) => {
    serialised.set(reply.statusCode, reply.getSerializationFunction(String(reply.statusCode)) !== undefined)
  })
  await app.register(swagger, { openapi: { info: { title: 'test', version: '1.0.0' } } })
  await app.register(resetPassword, {
    prefix: PREFIX,
    secret: SECRET,
    verificationUrl: VERIFICATION_URL,
    users: kyselyUsers(db, { table }),
    deliver: () => {},
    password: { hash: cheapHash },
    rateLimit: false,
    ...plugin
  })
  await app.ready()
  return {
    app,
    serialised,
    addUser: async () => await insertUser(db, table, { email: 'alice@example.com', passwordHash: await cheapHash('old') })
  }
}

function openapi (app: FastifyInstance): Document {
  return app.swagger() as unknown as Document
}

function operation (document: Document, path: string): Operation {
  const found = document.paths[path]?.post
  if (found === undefined) throw new Error(`${path} is not documented`)
  return found
}

function json (media: Record<string, Media> | undefined): Media {
  const found = media?.['application/json']
  if (found === undefined) throw new Error('no application/json content')
  return found
}

/** Every example of a media object, whether swagger wrote one `example` or several `examples`. */
function examplesOf (media: Media): unknown[] {
  return media.example === undefined ? Object.values(media.examples ?? {}).map(({ value }) => value) : [media.example]
}

function post (app: FastifyInstance, url: string, payload: unknown, contentType = 'application/json') {
  return app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) })
}

t.test('the OpenAPI document lists every route under the prefix, and not their trailing-slash twins', async (t) => {
  const { app } = await documentedApp(t)
  const document = openapi(app)
  t.same(Object.keys(document.paths).sort(), [RESET_PASSWORD, SEND_LINK, VERIFY_LINK])
  for (const path of [SEND_LINK, RESET_PASSWORD, VERIFY_LINK]) {
    const { summary, description, tags } = operation(document, path)
    t.ok(summary, `${path} has a summary`)
    t.ok(description, `${path} has a description`)
    t.same(tags, ['password reset'])
  }
  const twin = await post(app, `${SEND_LINK}/`, { login: 'nobody@example.com' })
  t.equal(twin.statusCode, 200, 'the hidden twin still answers')
})

t.test('each route documents its JSON request body with a valid example', async (t) => {
  const { app } = await documentedApp(t)
  const document = openapi(app)
  const sendLink = json(operation(document, SEND_LINK).requestBody?.content)
  t.same(sendLink.schema.required, ['login'])
  t.same(examplesOf(sendLink), [{ login: 'alice@example.com' }])
  const reset = json(operation(document, RESET_PASSWORD).requestBody?.content)
  t.same(reset.schema.required, ['user_id', 'timestamp', 'signature', 'password'])
  t.same(Object.keys(reset.schema.properties ?? {}), ['user_id', 'timestamp', 'signature', 'password', 'password_confirm'])
  t.equal(examplesOf(reset).length, 1)
  t.equal(operation(document, RESET_PASSWORD).requestBody?.required, true)
  const verify = json(operation(document, VERIFY_LINK).requestBody?.content)
  t.same(Object.keys(verify.schema.properties ?? {}), ['user_id', 'timestamp', 'signature'])
  t.same(verify.schema.required, ['user_id', 'timestamp', 'signature'])
  t.equal(examplesOf(verify).length, 1)
})

t.test('password_confirm is documented as required when the plugin requires it', async (t) => {
  const { app } = await documentedApp(t, { passwordConfirm: true })
  const reset = json(operation(openapi(app), RESET_PASSWORD).requestBody?.content)
  t.same(reset.schema.required, ['user_id', 'timestamp', 'signature', 'password', 'password_confirm'])
  t.match(examplesOf(reset), [{ password_confirm: String }])
})

t.test('each route documents every status it answers with, with examples of each error code', async (t) => {
  const { app } = await documentedApp(t)
  const document = openapi(app)
  const codes: Record<string, Record<string, string[]>> = {
    [SEND_LINK]: {
      400: ['FST_ERR_VALIDATION', 'FST_ERR_CTP_EMPTY_JSON_BODY', 'FST_ERR_CTP_INVALID_JSON_BODY', 'FST_RESET_PASSWORD_DUPLICATE_KEY', 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', 'FST_RESET_PASSWORD_USER_NOT_FOUND']
    },
    [RESET_PASSWORD]: {
      400: [
        'FST_ERR_VALIDATION', 'FST_ERR_CTP_EMPTY_JSON_BODY', 'FST_ERR_CTP_INVALID_JSON_BODY', 'FST_RESET_PASSWORD_DUPLICATE_KEY', 'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
        'FST_RESET_PASSWORD_INVALID_SIGNATURE', 'FST_RESET_PASSWORD_SIGNATURE_EXPIRED', 'FST_RESET_PASSWORD_PASSWORD_MISMATCH',
        'FST_RESET_PASSWORD_INVALID_PASSWORD'
      ]
    },
    [VERIFY_LINK]: {
      400: [
        'FST_ERR_VALIDATION', 'FST_ERR_CTP_EMPTY_JSON_BODY', 'FST_ERR_CTP_INVALID_JSON_BODY', 'FST_RESET_PASSWORD_DUPLICATE_KEY', 'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
        'FST_RESET_PASSWORD_INVALID_SIGNATURE', 'FST_RESET_PASSWORD_SIGNATURE_EXPIRED'
      ]
    }
  }
  const shared = { 413: ['FST_ERR_CTP_BODY_TOO_LARGE'], 415: ['FST_ERR_CTP_INVALID_MEDIA_TYPE'], 429: ['FST_RESET_PASSWORD_RATE_LIMITED'], 503: ['FST_RESET_PASSWORD_UNAVAILABLE'] }
  const linkValid = { detail: LINK_VALID, expires_at: '2026-01-01T01:00:00.000Z' }
  for (const [path, success] of [[SEND_LINK, SENT], [RESET_PASSWORD, RESET], [VERIFY_LINK, linkValid]] as const) {
    const { responses } = operation(document, path)
    t.same(Object.keys(responses).sort(), STATUSES, `${path} documents each status`)
    t.same(examplesOf(json(responses['200']?.content)), [success], `${path}: the 200 example is the real reply`)
    for (const [status, expected] of Object.entries({ ...shared, ...codes[path] })) {
      const response = responses[status]
      const media = json(response?.content)
      t.same(media.schema.required, ['statusCode', 'code', 'error', 'message'], `${path} ${status}: ErrorReply`)
      t.same(examplesOf(media).map((example) => (example as { code: string }).code), expected, `${path} ${status}: an example per code`)
      for (const code of expected) t.match(response?.description, `\`${code}\``, `${path} ${status}: ${code} is described`)
    }
  }
})

t.test('every example in the route schemas is valid against its own schema', async (t) => {
  for (const schema of [sendLinkSchema, resetPasswordSchema(false), resetPasswordSchema(true), verifyLinkSchema, sendCodeSchema, resetWithCodeSchema(false), resetWithCodeSchema(true)]) {
    const parts: Record<string, TSchema> = { body: schema.body, ...schema.response }
    for (const [part, partSchema] of Object.entries(parts)) {
      const examples: unknown = partSchema['examples']
      t.ok(Array.isArray(examples) && examples.length > 0, `${schema.summary}, ${part}: has examples`)
      for (const example of examples as unknown[]) t.ok(Value.Check(partSchema, example), `${schema.summary}, ${part}: ${JSON.stringify(example)}`)
    }
  }
})

t.test('replies of every documented status are serialised with the response schema', async (t) => {
  const appReason = { code: 'app_rule', message: 'Refused by the app.', internal: 'not for the client' }
  const { app, addUser, serialised } = await documentedApp(t, {
    // The 200, 413 and 415 requests below use up send-link's per-IP limit; the next one is the 429.
    rateLimit: { sendLink: { perIp: { max: 3, timeWindow: 60_000 } } },
    password: { hash: cheapHash, validators: [(password) => password === 'refused by the app' ? [appReason as PasswordReason] : []] }
  })
  const user = await app.resetPassword.users.findById(await addUser())
  if (user === null) throw new Error('the user was just added')
  const link = app.resetPassword.signer.sign(user)
  const replies = {
    200: await post(app, SEND_LINK, { login: 'nobody@example.com' }),
    400: await post(app, RESET_PASSWORD, { ...link, password: 'refused by the app' }),
    413: await post(app, SEND_LINK, { login: 'x'.repeat(40_000) }),
    415: await post(app, SEND_LINK, 'login=alice', 'application/x-www-form-urlencoded'),
    429: await post(app, SEND_LINK, { login: 'nobody@example.com' })
  }
  // Both routes' error responses have ErrorReply's shape, so send-link's schemas check the 400 too.
  const responses: Record<string, TSchema> = sendLinkSchema.response
  t.same(replies[400].json().reasons, [{ code: 'app_rule', message: 'Refused by the app.' }], 'a field the schema does not name is dropped')
  for (const [status, reply] of Object.entries(replies)) {
    t.equal(reply.statusCode, Number(status))
    t.ok(Value.Check(responses[status] as TSchema, reply.json()), `${status}: matches the schema`)
    t.equal(serialised.get(Number(status)), true, `${status}: sent through the schema's serialiser`)
  }
  const valid = await post(app, VERIFY_LINK, link)
  t.equal(valid.statusCode, 200)
  t.ok(Value.Check(verifyLinkSchema.response[200], valid.json()), 'the link check\'s 200 matches its schema')
  t.equal(serialised.get(200), true)
  const reset = await post(app, RESET_PASSWORD, { ...link, password: NEW_PASSWORD })
  t.same(reset.json(), RESET)
})

t.test('a 503 from a failing user store is serialised with the response schema', async (t) => {
  const failing = {
    findByLogin: async () => { throw new Error('the database is down') },
    findById: async () => null,
    replacePasswordHash: async () => false
  }
  const { app, serialised } = await documentedApp(t, { users: failing })
  const reply = await post(app, SEND_LINK, { login: 'alice@example.com' })
  t.equal(reply.statusCode, 503)
  t.ok(Value.Check(sendLinkSchema.response[503], reply.json()))
  t.equal(serialised.get(503), true)
})

t.test('with codes the OpenAPI document lists the two code routes with their bodies, statuses and error codes', async (t) => {
  const delivered: string[] = []
  const { app, addUser } = await documentedApp(t, { codes: true, deliver: (message) => { delivered.push(message.subject) } })
  const document = openapi(app)
  t.same(Object.keys(document.paths).sort(), [RESET_PASSWORD, RESET_WITH_CODE, SEND_CODE, SEND_LINK, VERIFY_LINK])
  const sendCode = operation(document, SEND_CODE)
  t.same(json(sendCode.requestBody?.content).schema.required, ['login'])
  t.same(examplesOf(json(sendCode.responses['200']?.content)), [CODE_SENT])
  const withCode = operation(document, RESET_WITH_CODE)
  t.same(json(withCode.requestBody?.content).schema.required, ['login', 'code', 'password'])
  t.same(examplesOf(json(withCode.responses['200']?.content)), [RESET])
  for (const { responses } of [sendCode, withCode]) t.same(Object.keys(responses).sort(), STATUSES)
  const codes = examplesOf(json(withCode.responses['400']?.content)).map((example) => (example as { code: string }).code)
  t.same(codes.slice(5), ['FST_RESET_PASSWORD_INVALID_CODE', 'FST_RESET_PASSWORD_PASSWORD_MISMATCH', 'FST_RESET_PASSWORD_INVALID_PASSWORD'])
  t.match(withCode.responses['400']?.description, '`FST_RESET_PASSWORD_INVALID_CODE`')
  const wrong = await post(app, RESET_WITH_CODE, { login: 'alice@example.com', code: '12345678', password: NEW_PASSWORD })
  t.ok(Value.Check(resetWithCodeSchema(false).response[400], wrong.json()), 'a 400 matches the schema')
  await addUser()
  t.same((await post(app, SEND_CODE, { login: 'alice@example.com' })).json(), CODE_SENT)
  await app.close()
  t.same(delivered, ['Your password reset code'], 'the code mail reaches a deliver function (no mail option)')
})
