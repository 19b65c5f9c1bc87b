import t from 'tap'
import fc from 'fast-check'
import { caseFold } from 'unicode-case-folding'
import { fold } from '../lib/fold.js'

// The reference: NFKC, then full Unicode case folding, for every string.
const reference = (value: string): string => caseFold(value.normalize('NFKC'))

t.test('folding gives NFKC and full case folding for any text, ASCII by its fast path', async (t) => {
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (value) => fold(value) === reference(value)), { numRuns: 5000 })
  fc.assert(fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((code) => String.fromCharCode(code)) }), (value) => fold(value) === reference(value)), { numRuns: 5000 })
  t.equal(fold('Alice@Example.COM'), 'alice@example.com')
  t.equal(fold('STRASSE'), 'strasse')
  t.equal(fold('Straße'), 'strasse', 'outside ASCII, ß folds to ss')
  t.equal(fold('ｍｉｋｅ'), 'mike', 'NFKC first: full-width letters are letters')
})
