import { scryptSync } from 'node:crypto'
import t from 'tap'
import { hashPassword, verifyPassword } from '../lib/password/hash.js'
import type { ScryptParams } from '../lib/password/hash.js'

// The OWASP default costs a third of a second per hash; every test but one uses a cheap cost.
const cheap: ScryptParams = { ln: 4, r: 8, p: 1 }

t.test('a password verifies against its own hash', async t => {
  const hash = await hashPassword('correct horse battery staple', cheap)
  t.equal(await verifyPassword('correct horse battery staple', hash), true)
})

t.test('a wrong password does not verify', async t => {
  const hash = await hashPassword('correct horse battery staple', cheap)
  t.equal(await verifyPassword('correct horse battery stapler', hash), false)
  t.equal(await verifyPassword('', hash), false)
})

t.test('a password is hashed exactly as given, without trimming or case folding', async t => {
  const hash = await hashPassword(' Secret ', cheap)
  t.equal(await verifyPassword(' Secret ', hash), true)
  t.equal(await verifyPassword('Secret', hash), false)
  t.equal(await verifyPassword(' secret ', hash), false)
})

t.test('a unicode password round-trips, and its other normalization form does not match', async t => {
  const password = 'pässwörd 密码 😀'.normalize('NFC')
  const hash = await hashPassword(password, cheap)
  t.equal(await verifyPassword(password, hash), true)
  t.equal(await verifyPassword(password.normalize('NFD'), hash), false)
})

t.test('two hashes of one password differ by their random salt', async t => {
  const first = await hashPassword('same', cheap)
  const second = await hashPassword('same', cheap)
  t.not(first, second)
  t.equal(await verifyPassword('same', first), true)
  t.equal(await verifyPassword('same', second), true)
})

t.test('the default hash carries the OWASP parameters ln=17, r=8, p=1 in passlib format', async t => {
  const hash = await hashPassword('correct horse battery staple')
  // 16-byte salt and 32-byte key, standard base64 without padding.
  t.match(hash, /^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
  t.equal(await verifyPassword('correct horse battery staple', hash), true)
})

t.test('custom cost parameters are written into the hash', async t => {
  const hash = await hashPassword('pw', { ln: 5, r: 4, p: 2 })
  t.match(hash, /^\$scrypt\$ln=5,r=4,p=2\$/)
  t.equal(await verifyPassword('pw', hash), true)
})

t.test('a hash written by Python passlib verifies', async t => {
  // From passlib's documentation of passlib.hash.scrypt: scrypt.using(rounds=8).hash("password").
  const hash = '$scrypt$ln=8,r=8,p=1$WKs1xljLudd6z9kbY0wpJQ$yCR4iDZYDKv+iEJj6yHY0lv/epnfB6f/w1EbXrsJOuQ'
  t.equal(await verifyPassword('password', hash), true)
  t.equal(await verifyPassword('Password', hash), false)
})

t.test('hashPassword refuses cost parameters out of bounds', async t => {
  const bad: ReadonlyArray<[ScryptParams, RegExp]> = [
    [{ ln: 0 }, /params\.ln must be an integer from 1 to 20/],
    [{ ln: 21 }, /params\.ln must be an integer from 1 to 20/],
    [{ ln: 4.5 }, /params\.ln must be an integer from 1 to 20/],
    [{ ln: 4, r: 33 }, /params\.r must be an integer from 1 to 32/],
    [{ ln: 4, p: 0 }, /params\.p must be an integer from 1 to 16/]
  ]
  for (const [params, message] of bad) {
    await t.rejects(hashPassword('pw', params), { name: 'RangeError', message }, JSON.stringify(params))
  }
})

t.test('a malformed or foreign hash never verifies, and never throws', async t => {
  const good = await hashPassword('pw', cheap)
  const [, , params, salt, key] = good.split('$') as [string, string, string, string, string]
  const bytes = (n: number): string => Buffer.alloc(n, 7).toString('base64').replace(/=+$/, '')
  const foreign = {
    empty: '',
    'plain text': 'pw',
    bcrypt: '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
    argon2: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA',
    'missing key': `$scrypt$${params}$${salt}`,
    'extra field': `${good}$x`,
    'trailing newline': `${good}\n`,
    'ln out of bounds': `$scrypt$ln=21,r=8,p=1$${salt}$${key}`,
    'ln zero': `$scrypt$ln=0,r=8,p=1$${salt}$${key}`,
    'ln with a leading zero': `$scrypt$ln=04,r=8,p=1$${salt}$${key}`,
    'r out of bounds': `$scrypt$ln=4,r=33,p=1$${salt}$${key}`,
    'p out of bounds': `$scrypt$ln=4,r=8,p=17$${salt}$${key}`,
    'parameters out of order': `$scrypt$r=8,ln=4,p=1$${salt}$${key}`,
    'padded key': `$scrypt$${params}$${salt}$${key}=`,
    'url-safe alphabet': `$scrypt$${params}$${salt}$${key.slice(0, -1)}_`,
    'non-canonical base64': `$scrypt$${params}$${salt.slice(0, -1)}B$${key}`,
    'short key': `$scrypt$${params}$${salt}$${bytes(31)}`,
    'long key': `$scrypt$${params}$${salt}$${bytes(33)}`,
    'short salt': `$scrypt$${params}$${bytes(7)}$${key}`,
    'long salt': `$scrypt$${params}$${bytes(65)}$${key}`
  }
  for (const [name, hash] of Object.entries(foreign)) {
    t.equal(await verifyPassword('pw', hash), false, name)
  }
  // The same pieces, well formed, do verify: the cases above fail for the reason they name.
  t.equal(await verifyPassword('pw', `$scrypt$${params}$${salt}$${key}`), true)
})

t.test('salts from 8 to 64 bytes, as other passlib writers may use, are accepted', async t => {
  const b64 = (b: Buffer): string => b.toString('base64').replace(/=+$/, '')
  for (const size of [8, 64]) {
    const salt = Buffer.alloc(size, 3)
    const key = scryptSync('pw', salt, 32, { N: 16, r: 8, p: 1 })
    t.equal(await verifyPassword('pw', `$scrypt$ln=4,r=8,p=1$${b64(salt)}$${b64(key)}`), true, `${size} bytes`)
  }
})
