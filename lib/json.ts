import type { FastifyInstance } from 'fastify'
import { DuplicateKeyError } from './errors.js'

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d

/**
 * Whether some object of a JSON text names one key twice. RFC 8259, section 4, only says names
 * "SHOULD be unique", and JSON.parse silently keeps the last value, so `{"login":"a","login":"b"}`
 * means one thing to this server and maybe another to a proxy or WAF in front of it.
 *
 * Expects a text JSON.parse accepted. One pass; keys are compared after unescaping, so
 * `"\u006cogin"` and `"login"` are the same key.
 */
export function hasDuplicateKey (text: string): boolean {
  // The keys seen in each open object; null for an open array.
  const open: Array<Set<string> | null> = []
  let atKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      let end = i + 1
      while (text.charCodeAt(end) !== QUOTE) end += text.charCodeAt(end) === BACKSLASH ? 2 : 1
      if (atKey) {
        // atKey holds only while the innermost open value is an object.
        const keys = open.at(-1) as Set<string>
        const raw = text.slice(i, end + 1)
        const key = raw.includes('\\') ? JSON.parse(raw) as string : raw.slice(1, -1)
        if (keys.has(key)) return true
        keys.add(key)
      }
      i = end
    } else if (c === OPEN_OBJECT) {
      open.push(new Set())
      atKey = true
    } else if (c === OPEN_ARRAY) {
      open.push(null)
      atKey = false
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      open.pop()
    } else if (c === COMMA) {
      atKey = open.at(-1) != null
    } else if (c === COLON) {
      atKey = false
    }
  }
  return false
}

/**
 * Replaces every body parser of a context with one for `application/json`: Fastify's parser with
 * prototype-poisoning keys refused, plus the duplicate-key check. `empty`, when given, is what an
 * empty body parses to (django-rest-framework reads it as no data); otherwise an empty body is a 400.
 */
export function useStrictJson (app: FastifyInstance, bodyLimit: number, empty?: () => unknown): void {
  app.removeAllContentTypeParsers()
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (request, body: string, done) => {
    if (body === '' && empty !== undefined) {
      done(null, empty())
      return
    }
    parseJson(request, body, (err, value) => {
      if (err === null && hasDuplicateKey(body)) done(new DuplicateKeyError(), undefined)
      else done(err, value)
    })
  })
}
