import t from 'tap'
import { saltSource } from '../lib/password/salts.js'

t.test('every salt has the asked size and none repeats, across many batches', async t => {
  const next = saltSource(16, 4)
  const seen = new Set<string>()
  for (let i = 0; i < 1000; i++) {
    const salt = next()
    t.equal(salt.length, 16)
    seen.add(salt.toString('hex'))
  }
  t.equal(seen.size, 1000)
})

t.test('a salt stays as it was handed out after its batch is used up and replaced', async t => {
  const next = saltSource(8, 2)
  const first = next()
  const copy = Buffer.from(first)
  for (let i = 0; i < 10; i++) next()
  t.same(first, copy)
})

t.test('salts of one batch do not overlap', async t => {
  const next = saltSource(4, 3)
  const [a, b, c] = [next(), next(), next()]
  t.equal(a.buffer, b.buffer)
  t.equal(b.buffer, c.buffer)
  t.not(a.byteOffset, b.byteOffset)
  t.equal(b.byteOffset - a.byteOffset, 4)
  t.equal(c.byteOffset - b.byteOffset, 4)
})
