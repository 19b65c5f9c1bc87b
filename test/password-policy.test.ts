import t from 'tap'
import { createPasswordPolicy } from '../lib/password/policy.js'
import type { PasswordPolicy, PasswordPolicyOptions, PasswordUser, PasswordValidator } from '../lib/password/policy.js'

// Most examples are Django's own, from tests/auth_tests/test_validators.py.
const anonymous: PasswordUser = { id: '1', username: null, email: null }
const testclient: PasswordUser = { id: '2', username: 'testclient', email: 'testclient@example.com' }
const defaults = createPasswordPolicy()

async function codes (password: string, user: PasswordUser = anonymous, policy: PasswordPolicy = defaults): Promise<string[]> {
  return (await policy.check(password, user)).map(reason => reason.code)
}

const shortMessage = 'This password is too short. It must contain at least 8 characters.'

t.test('a long, uncommon password that is nothing like the user passes every default rule', async t => {
  t.same(await defaults.check('correct horse battery staple', testclient), [])
  t.same(await defaults.check('a-safe-password', testclient), [])
})

t.test('a password shorter than 8 characters is too short, in Django\'s words', async t => {
  t.same(await defaults.check('xq7#zv', anonymous), [{ code: 'password_too_short', message: shortMessage }])
  t.same(await codes('xq7#zvk!'), [])
})

t.test('length is counted in code points, not UTF-16 units', async t => {
  t.same(await codes('😀'.repeat(7)), ['password_too_short'])
  t.same(await codes('😀'.repeat(8)), [])
})

t.test('a custom minimum length is used, with the singular for 1 as Django\'s ngettext does', async t => {
  const twelve = createPasswordPolicy({ minLength: 12 })
  t.same(await twelve.check('django4242', anonymous), [
    { code: 'password_too_short', message: 'This password is too short. It must contain at least 12 characters.' }
  ])
  const one = createPasswordPolicy({ minLength: 1 })
  t.same(await one.check('', anonymous), [
    { code: 'password_too_short', message: 'This password is too short. It must contain at least 1 character.' }
  ])
  t.same(await one.check('q', anonymous), [])
})

t.test('a password over 256 characters is too long, and says so alone', async t => {
  const reason = { code: 'password_too_long', message: 'This password is too long. It must contain at most 256 characters.' }
  t.equal(defaults.tooLong('x'.repeat(256)), null)
  t.same(defaults.tooLong('x'.repeat(257)), reason)
  // Entirely numeric and very similar to the username too, but no other rule runs on it.
  t.same(await defaults.check('1'.repeat(300), { ...testclient, username: '1'.repeat(300) }), [reason])
})

t.test('the maximum length is counted in code points as well', async t => {
  t.equal(defaults.tooLong('😀'.repeat(256)), null)
  t.not(defaults.tooLong('😀'.repeat(255) + 'ab'), null)
  t.not(defaults.tooLong('😀'.repeat(257)), null)
  t.equal(defaults.tooLong('😀'.repeat(100) + 'a'.repeat(156)), null)
})

t.test('a custom maximum length is used, with the singular for 1', async t => {
  const ten = createPasswordPolicy({ maxLength: 10 })
  t.same(ten.tooLong('abcdefghijk'), {
    code: 'password_too_long', message: 'This password is too long. It must contain at most 10 characters.'
  })
  t.same(await codes('abcdefghij', anonymous, ten), [])
  const one = createPasswordPolicy({ minLength: 1, maxLength: 1 })
  t.same(one.tooLong('ab'), {
    code: 'password_too_long', message: 'This password is too long. It must contain at most 1 character.'
  })
})

t.test('a common password is too common, whatever its case and surrounding spaces', async t => {
  t.same(await defaults.check('godzilla', anonymous), [{ code: 'password_too_common', message: 'This password is too common.' }])
  t.same(await codes('password'), ['password_too_common'])
  t.same(await codes('  PassWord\t\u3000'), ['password_too_common'])
  // Python's strip() does not remove U+FEFF, so neither do we.
  t.same(await codes('\ufeffpassword'), [])
})

t.test('an entirely numeric password is refused, in any script\'s decimal digits', async t => {
  t.same(await defaults.check('42424242', anonymous), [
    { code: 'password_entirely_numeric', message: 'This password is entirely numeric.' }
  ])
  t.same(await codes('١٢٣٤٥٦٧٨'), ['password_entirely_numeric'])
  // Python's isdigit() would also refuse superscript digits; \p{Nd} does not (see validators.ts).
  t.same(await codes('¹²³⁴⁵⁶⁷⁸'), [])
  t.same(await codes('4242424x'), [])
})

t.test('a password that is numeric and common gets both reasons', async t => {
  t.same(await codes('12345678'), ['password_too_common', 'password_entirely_numeric'])
})

t.test('a password too similar to the username is refused', async t => {
  t.same(await defaults.check('testclient', testclient), [
    { code: 'password_too_similar', message: 'The password is too similar to the username.' }
  ])
  t.same(await codes('testusername', { ...anonymous, username: 'testusername' }), ['password_too_similar'])
  t.same(await codes('TestUserName', { ...anonymous, username: 'testusername' }), ['password_too_similar'])
})

t.test('a password too similar to the e-mail address, or to a part of it, is refused', async t => {
  t.same(await defaults.check('example.com', testclient), [
    { code: 'password_too_similar', message: 'The password is too similar to the email address.' }
  ])
  const ada = { ...anonymous, email: 'ada.lovelace@example.com' }
  t.same(await codes('Lovelace!', ada), ['password_too_similar'])
  t.same(await codes('correct horse battery staple', ada), [])
})

t.test('attributes split on Unicode non-word characters, as Python\'s \\W does', async t => {
  const user = { ...anonymous, email: 'zoë.größe@exämple.de' }
  t.same(await codes('größe!!', user), ['password_too_similar', 'password_too_short'])
})

t.test('like Django, only the first similar attribute is reported', async t => {
  // 'testclient' is the username and also a part of the e-mail address.
  t.same(await defaults.check('testclient', testclient), [
    { code: 'password_too_similar', message: 'The password is too similar to the username.' }
  ])
})

t.test('maxSimilarity tunes how close is too close', async t => {
  const user = { ...anonymous, username: 'Test' }
  t.same(await codes('testclient', user), [])
  const loose = createPasswordPolicy({ similarity: { maxSimilarity: 0.3 } })
  t.same(await codes('testclient', user, loose), ['password_too_similar'])
  // max_similarity=1 still refuses a password identical to the attribute.
  const strict = createPasswordPolicy({ similarity: { maxSimilarity: 1 } })
  t.same(await codes('testclient', testclient, strict), ['password_too_similar'])
  t.same(await codes('testclien', testclient, strict), [])
  const explicitDefault = createPasswordPolicy({ similarity: {} })
  t.same(await codes('testclient', testclient, explicitDefault), ['password_too_similar'])
})

t.test('a password ten times longer than a short attribute part is not compared with it', async t => {
  // Django's exceeds_maximum_length_ratio: quick_ratio could not reach 0.7 anyway.
  t.same(await codes('ab' + 'zq'.repeat(10), { ...anonymous, username: 'ab' }), [])
})

t.test('empty attributes are ignored, but an empty part matches an empty password as in Django', async t => {
  const one = createPasswordPolicy({ minLength: 1 })
  t.same(await codes('', { ...anonymous, username: '' }, one), ['password_too_short'])
  // re.split(r'\W+', '.x') starts with '', and quick_ratio('', '') is 1.0.
  t.same(await codes('', { ...anonymous, username: '.x' }, one), ['password_too_similar', 'password_too_short'])
})

t.test('all failures are listed together, in Django\'s order, app rules last', async t => {
  const policy = createPasswordPolicy({ validators: [() => [{ code: 'app_rule', message: 'App says no.' }]] })
  t.same(await codes('1234567', { ...anonymous, username: '1234567' }, policy), [
    'password_too_similar',
    'password_too_short',
    'password_too_common',
    'password_entirely_numeric',
    'app_rule'
  ])
})

t.test('an async app validator receives the password and the user, and its reasons are listed', async t => {
  const seen: Array<[string, PasswordUser]> = []
  const breached: PasswordValidator = async (password, user) => {
    seen.push([password, user])
    await new Promise(resolve => setImmediate(resolve))
    return password === 'Tr0ub4dor&3' ? [{ code: 'password_breached', message: 'This password appeared in a breach.' }] : []
  }
  const policy = createPasswordPolicy({ validators: [breached, () => []] })
  t.same(await policy.check('Tr0ub4dor&3', testclient), [
    { code: 'password_breached', message: 'This password appeared in a breach.' }
  ])
  t.same(await policy.check('correct horse battery staple', testclient), [])
  t.same(seen, [['Tr0ub4dor&3', testclient], ['correct horse battery staple', testclient]])
})

t.test('a failing app validator fails the check', async t => {
  const policy = createPasswordPolicy({ validators: [async () => { throw new Error('breach API down') }] })
  await t.rejects(policy.check('correct horse battery staple', testclient), { message: 'breach API down' })
})

t.test('each built-in rule can be turned off', async t => {
  const user = { ...anonymous, username: '12345678' }
  t.same(await codes('12345678', user), ['password_too_similar', 'password_too_common', 'password_entirely_numeric'])
  const none = createPasswordPolicy({ common: false, numeric: false, similarity: false })
  t.same(await codes('12345678', user, none), [])
  t.same(await codes('12345678', user, createPasswordPolicy({ common: false })), ['password_too_similar', 'password_entirely_numeric'])
  t.same(await codes('12345678', user, createPasswordPolicy({ numeric: false })), ['password_too_similar', 'password_too_common'])
  t.same(await codes('12345678', user, createPasswordPolicy({ similarity: false })), ['password_too_common', 'password_entirely_numeric'])
  t.same(await codes('12345678', user, createPasswordPolicy({ common: true, numeric: true })), ['password_too_similar', 'password_too_common', 'password_entirely_numeric'])
})

t.test('an app\'s own word list replaces the default one, compared lowercased and stripped', async t => {
  const policy = createPasswordPolicy({ common: [' From-My-Custom-List '] })
  t.same(await codes('from-my-custom-list', anonymous, policy), ['password_too_common'])
  t.same(await codes('password', anonymous, policy), [])
})

t.test('a single-use iterable of words is read once, when the policy is built', async t => {
  function * words (): Generator<string> { yield 'hunter2hunter2' }
  const policy = createPasswordPolicy({ common: words() })
  t.same(await codes('hunter2hunter2', anonymous, policy), ['password_too_common'])
  t.same(await codes('hunter2hunter2', anonymous, policy), ['password_too_common'])
})

t.test('nonsense options throw a TypeError naming the option', async t => {
  const cases: ReadonlyArray<[unknown, string]> = [
    [{ minLength: 0 }, '"password.minLength" must be a positive integer'],
    [{ minLength: 7.5 }, '"password.minLength" must be a positive integer'],
    [{ minLength: '8' }, '"password.minLength" must be a positive integer'],
    [{ maxLength: 7 }, '"password.maxLength" must be an integer no smaller than password.minLength (8)'],
    [{ minLength: 300 }, '"password.maxLength" must be an integer no smaller than password.minLength (300)'],
    [{ maxLength: 100.5 }, '"password.maxLength" must be an integer no smaller than password.minLength (8)'],
    [{ common: 'password' }, '"password.common" must be a boolean or an iterable of strings'],
    [{ common: 42 }, '"password.common" must be a boolean or an iterable of strings'],
    [{ common: {} }, '"password.common" must be a boolean or an iterable of strings'],
    [{ common: ['ok', 1] }, '"password.common" must be a boolean or an iterable of strings'],
    [{ numeric: 'yes' }, '"password.numeric" must be a boolean'],
    [{ similarity: true }, '"password.similarity" must be false or an object'],
    [{ similarity: { maxSimilarity: 0.09 } }, '"password.similarity.maxSimilarity" must be a number from 0.1 to 1'],
    [{ similarity: { maxSimilarity: 1.1 } }, '"password.similarity.maxSimilarity" must be a number from 0.1 to 1'],
    [{ similarity: { maxSimilarity: Number.NaN } }, '"password.similarity.maxSimilarity" must be a number from 0.1 to 1'],
    [{ similarity: { maxSimilarity: '0.5' } }, '"password.similarity.maxSimilarity" must be a number from 0.1 to 1'],
    [{ validators: () => [] }, '"password.validators" must be an array of functions'],
    [{ validators: [() => [], 'no'] }, '"password.validators" must be an array of functions']
  ]
  for (const [options, message] of cases) {
    const error = t.throws(() => createPasswordPolicy(options as PasswordPolicyOptions), {
      code: 'FST_RESET_PASSWORD_INVALID_OPTION',
      message: `fastify-reset-password: option ${message}`
    }, JSON.stringify(options))
    t.ok(error instanceof TypeError, 'is a TypeError')
  }
})

t.test('the smallest and largest maxSimilarity are accepted', async t => {
  t.doesNotThrow(() => createPasswordPolicy({ similarity: { maxSimilarity: 0.1 } }))
  t.doesNotThrow(() => createPasswordPolicy({ similarity: { maxSimilarity: 1 } }))
  t.doesNotThrow(() => createPasswordPolicy({ minLength: 256, maxLength: 256 }))
})
