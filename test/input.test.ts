import t from 'tap'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import type { UserAdapter } from '../lib/index.js'
import { hasDuplicateKey } from '../lib/json.js'
import { buildApp, cheapHash, NEW_PASSWORD, PREFIX, VERIFICATION_URL, type TestApp } from './helpers/app.js'
import { linkFrom } from './helpers/smtp.js'

const SEND = 'send-reset-password-link'
const RESET = 'reset-password'
// The routes' body limit (lib/routes.ts).
const BODY_LIMIT = 32 * 1024
const A_RESET = { user_id: '1', timestamp: '1767225600', signature: 'A'.repeat(43), password: NEW_PASSWORD }

/** A user store and a hasher that only count what they are asked. */
function spies (): { calls: string[], users: UserAdapter, hash: (password: string) => Promise<string> } {
  const calls: string[] = []
  return {
    calls,
    users: {
      async findByLogin () { calls.push('findByLogin'); return [] },
      async findById () { calls.push('findById'); return null },
      async replacePasswordHash () { calls.push('replacePasswordHash'); return false }
    },
    async hash (password) { calls.push('hash'); return await cheapHash(password) }
  }
}

async function raw (h: TestApp, route: string, payload: string, contentType?: string): Promise<LightMyRequestResponse> {
  return await h.app.inject({
    method: 'POST',
    url: `${PREFIX}/${route}`,
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    payload
  })
}

t.test('only application/json is accepted: a form, a text/plain fetch or another type gets 415 and sends no mail', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  await h.addUser({ username: 'alice', email: 'alice@example.com' })
  let links = 0
  h.app.resetPassword.on('linkCreated', () => { links++ })
  const cases: Array<[string, string]> = [
    ['application/x-www-form-urlencoded', 'login=alice'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="login"\r\n\r\nalice\r\n--x--\r\n'],
    ['text/plain', '{"login":"alice"}'],
    ['text/plain; charset=utf-8', '{"login":"alice"}'],
    ['text/json', '{"login":"alice"}'],
    ['application/jsonx', '{"login":"alice"}'],
    ['application/json-patch+json', '{"login":"alice"}'],
    ['application/csp-report', '{"login":"alice"}']
  ]
  for (const [type, payload] of cases) {
    for (const route of [SEND, RESET]) {
      const res = await raw(h, route, payload, type)
      t.equal(res.statusCode, 415, `${route}: ${type}`)
      t.same(res.json(), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', error: 'Unsupported Media Type', message: 'Unsupported Media Type' })
    }
  }
  t.equal(links, 0, 'no link was made')
  t.equal((await raw(h, SEND, '{"login":"alice"}', 'application/json; charset=utf-8')).statusCode, 200, 'JSON with a charset is fine')
  await h.sink.waitForMails(1)
  t.equal(links, 1)
})

t.test('a body over the small limit gets 413', async (t) => {
  const { users, calls } = spies()
  const h = await buildApp(t, { plugin: { users } })
  if (h === null) return
  for (const route of [SEND, RESET]) {
    const over = `{"login":"${'a'.repeat(BODY_LIMIT - 11)}"}`
    t.equal(Buffer.byteLength(over), BODY_LIMIT + 1)
    const res = await raw(h, route, over, 'application/json')
    t.equal(res.statusCode, 413, route)
    t.equal(res.json().code, 'FST_ERR_CTP_BODY_TOO_LARGE')
    t.equal((await raw(h, route, over.slice(1), 'application/json')).statusCode, 400, 'at the limit the body is parsed (and is invalid)')
  }
  t.same(calls, [])
})

t.test('__proto__ and constructor.prototype keys are rejected, and pollute nothing', async (t) => {
  const { users, calls } = spies()
  const h = await buildApp(t, { plugin: { users } })
  if (h === null) return
  const bodies: Array<[string, string]> = [
    [SEND, '{"login":"alice","__proto__":{"polluted":true}}'],
    [SEND, '{"__proto__":{"login":"alice","polluted":true}}'],
    [SEND, '{"login":"alice","constructor":{"prototype":{"polluted":true}}}'],
    [SEND, '{"login":"alice","x":[{"__proto__":{"polluted":true}}]}'],
    [SEND, '{"login":"alice","\\u005f_proto__":{"polluted":true}}'],
    [RESET, JSON.stringify(A_RESET).replace('{', '{"__proto__":{"polluted":true},')],
    [RESET, JSON.stringify(A_RESET).replace('{', '{"constructor":{"prototype":{"polluted":true}},')]
  ]
  for (const [route, body] of bodies) {
    const res = await raw(h, route, body, 'application/json')
    t.equal(res.statusCode, 400, body)
    t.equal(res.json().code, 'FST_ERR_CTP_INVALID_JSON_BODY')
  }
  t.equal(({} as Record<string, unknown>)['polluted'], undefined)
  t.same(calls, [])
})

t.test('wrong types, missing or extra fields and over-long values get 400 before any database or hashing work', async (t) => {
  const { users, hash, calls } = spies()
  const h = await buildApp(t, { plugin: { users, password: { hash } } })
  if (h === null) return
  const sendBodies: unknown[] = [
    { login: ['alice'] }, { login: 42 }, { login: null }, { login: {} }, { login: true }, { login: '' },
    { login: 'a'.repeat(255) }, {}, { login: 'alice', extra: 1 }, { Login: 'alice' }, [], ['alice'], 'alice', 42, null
  ]
  for (const body of sendBodies) {
    const res = await h.post(SEND, JSON.stringify(body))
    t.equal(res.statusCode, 400, `send-link ${JSON.stringify(body).slice(0, 40)}`)
    t.equal(res.json().code, 'FST_ERR_VALIDATION')
  }
  const resetBodies: unknown[] = [
    { ...A_RESET, user_id: ['1'] }, { ...A_RESET, user_id: null }, { ...A_RESET, user_id: {} }, { ...A_RESET, user_id: 1.5 },
    { ...A_RESET, user_id: -1 }, { ...A_RESET, user_id: '' }, { ...A_RESET, user_id: 'x'.repeat(65) }, { ...A_RESET, user_id: true },
    { ...A_RESET, timestamp: 1.5 }, { ...A_RESET, timestamp: '-1' }, { ...A_RESET, timestamp: '1e3' }, { ...A_RESET, timestamp: ' 1' },
    { ...A_RESET, timestamp: 'abc' }, { ...A_RESET, timestamp: 1e13 }, { ...A_RESET, timestamp: '1'.repeat(13) }, { ...A_RESET, timestamp: null },
    { ...A_RESET, signature: 1 }, { ...A_RESET, signature: '' }, { ...A_RESET, signature: 'A'.repeat(129) }, { ...A_RESET, signature: ['A'] },
    { ...A_RESET, password: 12345678 }, { ...A_RESET, password: null }, { ...A_RESET, password: ['x'] }, { ...A_RESET, password: 'x'.repeat(4097) },
    { ...A_RESET, password_confirm: 1 }, { ...A_RESET, extra: 'x' }, { user_id: '1', timestamp: '1', signature: 'A'.repeat(43) },
    [A_RESET], 'null', null
  ]
  for (const body of resetBodies) {
    const res = await h.post(RESET, JSON.stringify(body))
    t.equal(res.statusCode, 400, `reset-password ${JSON.stringify(body).slice(0, 60)}`)
    t.equal(res.json().code, 'FST_ERR_VALIDATION')
  }
  t.same(calls, [], 'neither the user store nor the hasher was called')
  t.equal((await h.post(SEND, { login: 'a'.repeat(254) })).statusCode, 200, 'the longest login is accepted')
  t.same(calls, ['findByLogin'])
})

t.test('a refused body gets one message per bad field, saying what the field must be', async (t) => {
  const h = await buildApp(t)
  if (h === null) return
  const cases: Array<[string, unknown, string]> = [
    [RESET, { ...A_RESET, timestamp: undefined }, 'body/timestamp Expected required property'],
    [RESET, { user_id: '1' }, 'body/timestamp Expected required property, body/signature Expected required property, body/password Expected required property'],
    [RESET, { ...A_RESET, timestamp: 'abc' }, "body/timestamp Expected string to match '^[0-9]{1,12}$'"],
    [RESET, { ...A_RESET, timestamp: -1 }, 'body/timestamp Expected integer to be greater or equal to 0'],
    [RESET, { ...A_RESET, user_id: [] }, 'body/user_id Expected string or integer'],
    [RESET, { ...A_RESET, extra: 1 }, 'body/extra Unexpected property'],
    [SEND, { login: 42 }, 'body/login Expected string'],
    [SEND, [], 'body Expected object']
  ]
  for (const [route, body, message] of cases) {
    const res = await h.post(route, JSON.stringify(body))
    t.same(res.json(), { statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message }, JSON.stringify(body))
  }
})

t.test('the login limit is 254 UTF-16 code units: an emoji counts as two', async (t) => {
  const { users, calls } = spies()
  const h = await buildApp(t, { plugin: { users } })
  if (h === null) return
  const emoji = '\u{1F600}'
  t.equal(emoji.length, 2)
  t.equal((await h.post(SEND, { login: emoji.repeat(127) })).statusCode, 200, '127 emoji are 254 units')
  const over = await h.post(SEND, { login: emoji.repeat(127) + 'a' })
  t.equal(over.statusCode, 400, '127 emoji and a letter are 255 units')
  t.equal(over.json().message, 'body/login Expected string length less or equal to 254')
  t.same(calls, ['findByLogin'], 'the refused login reached no store')
})

t.test('a JSON body that names a key twice gets 400, whatever the spelling of the key', async (t) => {
  const { users, calls } = spies()
  const h = await buildApp(t, { plugin: { users } })
  if (h === null) return
  const duplicated: Array<[string, string]> = [
    [SEND, '{"login":"x","login":"alice"}'],
    [SEND, '{"login":"alice","\\u006cogin":"x"}'],
    [SEND, '{ "login" : "a" , "login" : "b" }'],
    [SEND, '{"login":"a","x":{"k":1,"k":2}}'],
    [SEND, '{"login":"a","x":[{"k":{"a":[],"a":{}}}]}'],
    [RESET, JSON.stringify(A_RESET).replace('}', `,"password":"${NEW_PASSWORD}"}`)],
    [RESET, JSON.stringify(A_RESET).replace('{', '{"user_id":2,')]
  ]
  for (const [route, body] of duplicated) {
    const res = await raw(h, route, body, 'application/json')
    t.equal(res.statusCode, 400, body)
    t.same(res.json(), { statusCode: 400, code: 'FST_RESET_PASSWORD_DUPLICATE_KEY', error: 'Bad Request', message: 'The JSON body names a key more than once' })
  }
  t.same(calls, [])
  const distinct = [
    '{"login":"login"}',
    '{"login":"a\\"login\\":"}',
    '{"login":"\\\\"}'
  ]
  for (const body of distinct) t.equal((await raw(h, SEND, body, 'application/json')).statusCode, 200, body)
  const notDuplicates = ['{"login":"a","Login":"b"}', '{"login":"a","x":{"login":1}}', '{"login":"a","x":[{"k":1},{"k":1}]}']
  for (const body of notDuplicates) t.equal((await raw(h, SEND, body, 'application/json')).json().code, 'FST_ERR_VALIDATION', body)
})

t.test('the duplicate-key check agrees with the keys a JSON text was written with', async (t) => {
  // Text without duplicates: anything JSON.stringify writes.
  fc.assert(fc.property(fc.jsonValue(), (value) => !hasDuplicateKey(JSON.stringify(value))), { numRuns: 500 })
  // Objects written key by key, some keys repeated, some escaped as \uXXXX.
  const key = fc.constantFrom('a', 'b', 'login', '"', '\\', 'é', '\u2028', '')
  const spell = (k: string, escaped: boolean): string => escaped ? `"${[...k].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"` : JSON.stringify(k)
  const entry = fc.tuple(key, fc.boolean(), fc.jsonValue({ maxDepth: 2 }))
  fc.assert(fc.property(fc.array(entry, { maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), (entries, around) => {
    const object = `{${entries.map(([k, escaped, value]) => `${spell(k, escaped)}:${JSON.stringify(value)}`).join(',')}}`
    const text = `[${JSON.stringify(around)},${object}]`
    JSON.parse(text)
    return hasDuplicateKey(text) === (new Set(entries.map(([k]) => k)).size !== entries.length)
  }), { numRuns: 1000 })
  t.pass('the properties hold')
})

t.test('both routes send no-store, no-referrer, nosniff and a UTF-8 JSON content type on every reply', async (t) => {
  const h = await buildApp(t, { plugin: { rateLimit: { resetPassword: { perIp: { max: 3, timeWindow: 60_000 } } } } })
  if (h === null) return
  await h.addUser({ username: 'alice', email: 'alice@example.com' })
  const replies: Array<[string, LightMyRequestResponse]> = []
  replies.push(['200 send-link', await h.post(SEND, { login: 'alice' }, {}, '10.0.0.1')])
  const [mail] = await h.sink.waitForMails(1)
  const link = Object.fromEntries(linkFrom(mail!).searchParams)
  replies.push(['200 reset-password', await h.post(RESET, { ...link, password: NEW_PASSWORD })])
  replies.push(['400 invalid signature', await h.post(RESET, A_RESET)])
  replies.push(['400 validation', await h.post(SEND, { login: 1 }, {}, '10.0.0.1')])
  replies.push(['400 invalid JSON', await raw(h, SEND, '{"login":', 'application/json')])
  replies.push(['413', await raw(h, RESET, 'x'.repeat(BODY_LIMIT + 1), 'application/json')])
  replies.push(['415', await raw(h, SEND, 'login=alice', 'application/x-www-form-urlencoded')])
  replies.push(['429', await h.post(RESET, A_RESET)])
  for (const [name, res] of replies) {
    t.equal(String(res.statusCode), name.slice(0, 3), name)
    t.match(res.headers, {
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'content-type': 'application/json; charset=utf-8'
    }, name)
  }
})

t.test('the mailed link comes from the configuration only, never from Host, X-Forwarded-Host, Forwarded, Origin or Referer', async (t) => {
  const hostile = {
    host: 'evil.example',
    'x-forwarded-host': 'evil.example',
    'x-forwarded-proto': 'http',
    'x-forwarded-prefix': '/evil',
    forwarded: 'for=203.0.113.1;host=evil.example;proto=http',
    origin: 'https://evil.example',
    referer: 'https://evil.example/reset-password/?next=https://evil.example'
  }
  for (const trustProxy of [false, true]) {
    t.test(`trustProxy: ${trustProxy}`, async (t) => {
      const h = await buildApp(t, { fastify: { trustProxy } })
      if (h === null) return
      await h.addUser({ username: 'alice', email: 'alice@example.com' })
      t.equal((await h.post(SEND, { login: 'alice' }, hostile)).statusCode, 200)
      const [mail] = await h.sink.waitForMails(1)
      const link = linkFrom(mail!)
      t.equal(`${link.origin}${link.pathname}`, VERIFICATION_URL)
      t.notMatch(mail!.raw, /evil/)
    })
  }
})
