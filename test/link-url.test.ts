import t from 'tap'
import fc from 'fast-check'
import { createLinks } from '../lib/link.js'
import { hmacSigner } from '../lib/signer/hmac.js'

const signer = hmacSigner(['a-test-secret-of-at-least-32-characters!'])({ oneTimeUse: true })
const NOW = Date.UTC(2026, 10, 30)

// The reference: what the link was before it was written as text, a URL with its parameters set.
function reference (verificationUrl: string, params: object): string {
  const url = new URL(verificationUrl)
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value)
  return url.href
}

t.test('the mailed link is the one URL and URLSearchParams would write, for any user id and verification URL', async (t) => {
  const urls = fc.constantFrom(
    'https://frontend.example/reset-password/',
    'https://frontend.example/reset-password',
    'https://frontend.example:8443/a%20b/',
    'https://frontend.example/reset-password/?lang=en&next=%2F',
    'https://frontend.example/reset-password/?user_id=stale',
    'https://frontend.example/reset-password/#top',
    'https://frontend.example/reset-password/?'
  )
  fc.assert(fc.property(urls, fc.string({ unit: 'binary' }), (verificationUrl, id) => {
    const links = createLinks(signer, new URL(verificationUrl), 3600, () => NOW)
    const user = { id, email: 'a@example.com', passwordHash: 'hash' }
    const link = links.url(user)
    const expected = reference(verificationUrl, links.sign(user))
    if (link !== expected) throw new Error(`${link} !== ${expected}`)
    return true
  }), { numRuns: 2000 })
  t.pass()
})
