import { createHash } from 'node:crypto'
import t from 'tap'
import { djangoSigner, type DjangoSignerOptions } from '../lib/signer/django.js'
import { pickleTwoPairs, type StrPair } from '../lib/signer/pickle.js'
import type { SignedUser } from '../lib/signer/signer.js'
import { vectors, type Vector } from './helpers/drr-vectors.js'

const oneTimeVectors = vectors.filter((v) => v.one_time_use)
const reusableVectors = vectors.filter((v) => !v.one_time_use)

// Without one-time use drr never reads the hash (the fixture has null), so any value must do.
function userOf (v: Vector, changes: Partial<SignedUser> = {}): SignedUser {
  return { id: v.user_id, email: 'user@example.com', passwordHash: v.stored_password_hash ?? 'pbkdf2_sha256$1$any$hash', ...changes }
}

function signerOf (v: Vector, options: Partial<DjangoSignerOptions> = {}) {
  return djangoSigner({ secretKey: v.secret_key, ...options })({ oneTimeUse: v.one_time_use })
}

function thrown (fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

function sha256 (bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

t.test('the fixture covers both modes and both keys', async t => {
  t.equal(vectors.length, 72)
  t.equal(oneTimeVectors.length, 36)
  t.equal(new Set(vectors.map((v) => v.secret_key)).size, 2)
})

t.test('sign reproduces every signature django-rest-registration 0.9 made', async t => {
  for (const v of vectors) t.equal(signerOf(v).sign(userOf(v), v.timestamp), v.signature, `${v.user_id} at ${v.timestamp}`)
})

t.test('verify accepts every signature django-rest-registration 0.9 made', async t => {
  for (const v of vectors) t.ok(signerOf(v).verify(userOf(v), v.timestamp, v.signature), `${v.user_id} at ${v.timestamp}`)
})

t.test('a signature does not verify for another user id', async t => {
  for (const v of vectors) {
    const signer = signerOf(v)
    t.notOk(signer.verify(userOf(v, { id: `${v.user_id}0` }), v.timestamp, v.signature))
    t.notOk(signer.verify(userOf(v, { id: ` ${v.user_id}` }), v.timestamp, v.signature))
  }
})

t.test('a signature does not verify for another timestamp', async t => {
  for (const v of vectors) {
    const signer = signerOf(v)
    t.notOk(signer.verify(userOf(v), v.timestamp + 1, v.signature))
    t.notOk(signer.verify(userOf(v), v.timestamp - 1, v.signature))
  }
})

t.test('a signature does not verify under another secret key', async t => {
  for (const v of vectors) t.notOk(signerOf(v, { secretKey: `${v.secret_key}x` }).verify(userOf(v), v.timestamp, v.signature))
})

t.test('with one-time use a link stops working once the stored password hash changes', async t => {
  for (const v of oneTimeVectors) {
    t.notOk(signerOf(v).verify(userOf(v, { passwordHash: `${v.stored_password_hash}x` }), v.timestamp, v.signature))
  }
})

t.test('without one-time use the stored password hash does not change the signature', async t => {
  for (const v of reusableVectors) {
    const signer = signerOf(v)
    t.equal(signer.sign(userOf(v, { passwordHash: 'argon2$other' }), v.timestamp), v.signature)
    t.ok(signer.verify(userOf(v, { passwordHash: 'argon2$other' }), v.timestamp, v.signature))
  }
})

t.test('the e-mail address is not signed, as in django-rest-registration', async t => {
  for (const v of vectors) t.ok(signerOf(v).verify(userOf(v, { email: null }), v.timestamp, v.signature))
})

t.test('malformed signatures are rejected without throwing', async t => {
  const v = vectors[0] as Vector
  const signer = signerOf(v)
  const good = v.signature
  const last = good.at(-1) as string
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  // The last character carries 4 bits and 2 unused ones: flipping an unused bit decodes to the same bytes.
  const sameBytes = good.slice(0, 42) + (alphabet[alphabet.indexOf(last) ^ 1] as string)
  t.same(Buffer.from(sameBytes, 'base64url'), Buffer.from(good, 'base64url'))
  const malformed = {
    empty: '',
    short: good.slice(0, 42),
    long: `${good}A`,
    padded: `${good}=`,
    'trailing newline': `${good.slice(0, 42)}\n`,
    'padding inside 43 characters': `${good.slice(0, 42)}=`,
    'standard base64 plus': `+${good.slice(1)}`,
    'standard base64 slash': `/${good.slice(1)}`,
    space: ` ${good.slice(1)}`,
    'non-ASCII letter': `é${good.slice(1)}`,
    'astral character': `😀${good.slice(2)}`,
    'unused bits changed': sameBytes
  }
  for (const [name, signature] of Object.entries(malformed)) {
    t.doesNotThrow(() => signer.verify(userOf(v), v.timestamp, signature), name)
    t.notOk(signer.verify(userOf(v), v.timestamp, signature), name)
  }
})

t.test('a link signed with a fallback key verifies, and new links are signed with the first key', async t => {
  for (const v of vectors) {
    const rotated = signerOf(v, { secretKey: 'the-new-secret-key', fallbackKeys: ['an-unrelated-key', v.secret_key] })
    const newOnly = signerOf(v, { secretKey: 'the-new-secret-key' })
    const oldOnly = signerOf(v)
    t.ok(rotated.verify(userOf(v), v.timestamp, v.signature))
    const fresh = rotated.sign(userOf(v), v.timestamp)
    t.not(fresh, v.signature)
    t.equal(fresh, newOnly.sign(userOf(v), v.timestamp))
    t.ok(rotated.verify(userOf(v), v.timestamp, fresh))
    t.notOk(oldOnly.verify(userOf(v), v.timestamp, fresh))
  }
})

t.test('a timestamp that is not a safe integer never verifies and cannot be signed', async t => {
  const v = vectors[0] as Vector
  const signer = signerOf(v)
  for (const timestamp of [v.timestamp + 0.5, Number.NaN, Infinity, 2 ** 53]) {
    t.notOk(signer.verify(userOf(v), timestamp, v.signature))
    t.type(thrown(() => signer.sign(userOf(v), timestamp)), TypeError)
  }
})

t.test('a missing or empty secretKey throws a TypeError naming the option', async t => {
  const bad: readonly unknown[] = [undefined, {}, { secretKey: '' }, { secretKey: 42 }, { fallbackKeys: ['k'] }]
  for (const options of bad) {
    const error = thrown(() => djangoSigner(options as DjangoSignerOptions))
    t.type(error, TypeError)
    t.match(error, { code: 'FST_RESET_PASSWORD_INVALID_OPTION', message: /option "secretKey" must be a non-empty string/ })
  }
})

t.test('fallbackKeys that are not non-empty strings throw a TypeError naming the option', async t => {
  const bad: readonly unknown[] = ['old-key', [''], ['ok', 7]]
  for (const fallbackKeys of bad) {
    const options = { secretKey: 'k', fallbackKeys } as unknown as DjangoSignerOptions
    const error = thrown(() => djangoSigner(options))
    t.type(error, TypeError)
    t.match(error, { code: 'FST_RESET_PASSWORD_INVALID_OPTION', message: /option "fallbackKeys" must be an array/ })
  }
})

// Expected bytes from pickle.dumps(pairs, 4), identical on CPython 3.7 to 3.13.
t.test('the signed message is byte for byte what Python pickle protocol 4 writes', async t => {
  const pairs = (id: string): readonly [StrPair, StrPair] => [['timestamp', '1700000000'], ['user_id', id]]
  t.equal(pickleTwoPairs(pairs('1')).toString('hex'),
    '80049530000000000000005d94288c0974696d657374616d70948c0a313730303030303030309486948c07757365725f6964948c0131948694652e')
  const digests: ReadonlyArray<readonly [string, readonly [StrPair, StrPair], string]> = [
    ['multi-byte UTF-8', pairs('zoë'), '61348c1fe80bb67e6dd594272502236d6d3376d4660928b3b9be93a5c43a4b3a'],
    ['astral character', pairs('😀'), 'bc6f95b357011816ddf4c07acf3078a0117a56ad037e7769436df477b4f786af'],
    ['lone surrogates, as surrogatepass', pairs('a\uD800b\uDFFF'), '92e36a6e59d7aed66b7fefd43e7fa858b6b7c7249c97bd8588a5dc8d8f12a8eb'],
    ['255 bytes: SHORT_BINUNICODE', pairs(`${'é'.repeat(127)}x`), '7c36de445d8e21e22879faa54a1e9fa2bf5dec005624871c5f8de154fb2d22e1'],
    ['256 bytes: BINUNICODE', pairs('é'.repeat(128)), 'ed6b4c7d00d880d2a5d7df37b2bd613c2081dc7c6e703d68acf8de376cc08c8b'],
    ['64 KiB less one: inside the frame', pairs('x'.repeat(65535)), '63a78003c26842d61306e4b65ec9cb38361fb177ad847ac4c0edd81ac5913bc0'],
    ['64 KiB: between two frames', pairs('x'.repeat(65536)), '4301068795d5537471b258ccbbcb57f3bb7ce82e7b040d12976c046aa3a5be55'],
    ['a frame holding 64 KiB closes before the next object', [['a'.repeat(40000), 'b'.repeat(40000)], ['c'.repeat(40000), 'd'.repeat(40000)]], '17311b17bc3df2b618814038949681f2446600051705d05b7cdd370296783bac'],
    ['frames under 4 bytes lose their header', [['k'.repeat(70000), 'v'.repeat(70000)], ['c', 'd']], '4cd035ebd8e6f8e47c87191fcc8b836676ace4548fc04c0f13f61d4f064962ef']
  ]
  for (const [name, input, digest] of digests) t.equal(sha256(pickleTwoPairs(input)), digest, name)
})
