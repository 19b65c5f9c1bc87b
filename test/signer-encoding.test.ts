import t from 'tap'
import fc from 'fast-check'
import { encode } from '../lib/signer/hmac.js'

// The reference: each field as a 4-byte big-endian length, then its UTF-8 bytes, as Buffer.from writes them.
function reference (fields: readonly string[]): Buffer {
  return Buffer.concat(fields.flatMap((field) => {
    const bytes = Buffer.from(field, 'utf8')
    const length = Buffer.alloc(4)
    length.writeUInt32BE(bytes.length)
    return [length, bytes]
  }))
}

t.test('the signed message is each field as its UTF-8 length and bytes, for any text, lone surrogates included', async (t) => {
  fc.assert(fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 6 }), (fields) => encode(fields).equals(reference(fields))), { numRuns: 5000 })
  t.same(encode(['a', '']), Buffer.from([0, 0, 0, 1, 0x61, 0, 0, 0, 0]))
})
