import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import type { Request } from 'playwright-core'
import { buildExample, type ExampleOptions } from '../example/app.js'
import { DEMO_USER } from '../example/db.js'
import { freePort, launchChromium, watchedPage } from './helpers/browser.js'
import { linkFrom, startSmtpSink } from './helpers/smtp.js'
import { codeFrom } from './helpers/codes.js'

// Screenshots of every state, to be looked at; the folder is git-ignored.
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url))
const NEW_PASSWORD = 'correct horse battery staple 42'
const HOUR = 3600 * 1000

/**
 * The example app on a fresh SQLite file and a real SMTP sink, listening on a free port, and a
 * watched Chromium page on it; null when Chromium is not there (outside CI).
 */
async function openExample (t: Test, plugin?: ExampleOptions['plugin']) {
  const browser = await launchChromium(t)
  if (browser === null) return null
  const dir = await mkdtemp(join(tmpdir(), 'fastify-reset-password-browser-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  await mkdir(ARTIFACTS, { recursive: true })
  const sink = await startSmtpSink(t)
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const app = await buildExample({ database: join(dir, 'example.sqlite'), publicUrl: `${origin}/`, smtpUrl: sink.url, ...(plugin === undefined ? {} : { plugin }) })
  t.teardown(async () => { await app.close() })
  await app.listen({ port, host: '127.0.0.1' })
  const context = await browser.newContext()
  t.teardown(async () => { await context.close() })
  return { sink, origin, ...await watchedPage(context, origin, ARTIFACTS) }
}

t.test('a user resets a forgotten password in Chromium and logs in with it', async (t) => {
  // The plugin's clock, moved forward to make a mailed link expire.
  const clock = { offset: 0 }
  const example = await openExample(t, { now: () => Date.now() + clock.offset })
  if (example === null) return
  const { sink, origin, page, problems, screenshot, outcome } = example
  const requests: Request[] = []
  page.on('request', (request) => requests.push(request))
  const focused = async (): Promise<string> => await page.evaluate(() => {
    const active = document.activeElement
    return active === null ? '' : active.id === '' ? active.textContent ?? '' : `#${active.id}`
  })
  const askForLink = async (): Promise<void> => {
    await page.goto(`${origin}/forgot-password/`)
    await page.getByLabel('Username or e-mail address').fill(DEMO_USER.username)
    await page.getByRole('button', { name: 'Send me a link' }).click()
  }
  const openLink = async (link: URL): Promise<void> => {
    await page.goto(link.href)
    t.equal(page.url(), `${origin}/reset-password/`, 'the query is gone from the address bar')
  }
  // The requests that tried to change a password, as opposed to checking a link.
  const resets = (): number => requests.filter((request) => request.url().endsWith('/api/v1/accounts/reset-password')).length
  const submitPassword = async (password: string, again = password): Promise<void> => {
    await page.getByLabel('New password', { exact: true }).fill(password)
    await page.getByLabel('New password, again').fill(again)
    await page.getByRole('button', { name: 'Change password' }).click()
  }
  // Every signature mailed, to look for in the headers of every request.
  const signatures: string[] = []
  // The link of the `nth` link mail; other mail (the "password changed" notice) may come in between.
  const mailedLink = async (nth: number): Promise<URL> => {
    for (let total = nth; ; total++) {
      const links = (await sink.waitForMails(total)).filter((mail) => mail.text.includes('signature='))
      if (links.length < nth) continue
      const link = linkFrom(links[nth - 1]!)
      signatures.push(link.searchParams.get('signature')!)
      return link
    }
  }

  await askForLink()
  t.match(await outcome('Check your e-mail'), /If this login belongs to an account/)
  t.equal(await focused(), 'Check your e-mail')
  await screenshot('forgot-password-sent')
  const first = await mailedLink(1)
  t.equal(`${first.origin}${first.pathname}`, `${origin}/reset-password/`)

  const opened = await page.goto(first.href)
  t.match(opened?.headers()['content-security-policy'], /^default-src 'self';/)
  t.equal(opened?.headers()['referrer-policy'], 'no-referrer')
  t.equal(page.url(), `${origin}/reset-password/`, 'the query is gone from the address bar')
  t.equal(await page.evaluate(() => window.location.search), '')
  await page.locator('#reset-form').waitFor()
  t.equal(await focused(), '#password', 'once the link checks as valid, the new password field has focus')
  t.match(await page.locator('#link-expiry').innerText(), /^This link works until .+\.$/)
  t.ok(requests.some((request) => request.url().endsWith('/api/v1/accounts/verify-reset-password-link')), 'the page checked the link')
  await screenshot('reset-password-form')

  // An outage or a rate limit while checking: the form shows all the same, and sending it will tell.
  await page.route('**/api/v1/accounts/verify-reset-password-link', async (route) => {
    await route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ statusCode: 503, code: 'FST_RESET_PASSWORD_UNAVAILABLE', error: '', message: '' }) })
  }, { times: 1 })
  await openLink(first)
  await page.locator('#reset-form').waitFor()
  t.equal(await page.locator('#link-expiry').isHidden(), true, 'with no answer from the check, no expiry is shown')
  t.equal(await focused(), '#password')

  const before = requests.length
  await submitPassword(NEW_PASSWORD, `${NEW_PASSWORD}!`)
  t.match(await outcome('The passwords do not match'), /same new password/)
  t.equal(requests.length, before, 'a mismatch is caught before any request')
  t.equal(await focused(), '#password-confirm')
  t.equal(await page.getByLabel('New password, again').getAttribute('aria-invalid'), 'true')
  await screenshot('reset-password-mismatch')

  await submitPassword('12345678')
  const rules = await outcome('Choose a different password')
  t.match(rules, /This password is too common/)
  t.match(rules, /This password is entirely numeric/)
  t.equal(await focused(), '#password')
  t.equal(await page.getByLabel('New password', { exact: true }).getAttribute('aria-invalid'), 'true')
  await screenshot('reset-password-rules')

  // Answers the server gives only under load or in an outage, played back in the browser.
  const answerOnce = async (status: number, code: string, headers: Record<string, string> = {}): Promise<void> => {
    await page.route('**/api/v1/accounts/reset-password', async (route) => {
      await route.fulfill({ status, headers, contentType: 'application/json', body: JSON.stringify({ statusCode: status, code, error: '', message: '' }) })
    }, { times: 1 })
  }
  await answerOnce(429, 'FST_RESET_PASSWORD_RATE_LIMITED', { 'retry-after': '900' })
  await submitPassword(NEW_PASSWORD)
  t.match(await outcome('Too many attempts'), /not changed\. Try again in 15 minutes\./)
  t.equal(await focused(), 'Too many attempts')
  await screenshot('reset-password-rate-limited')
  await answerOnce(503, 'FST_RESET_PASSWORD_UNAVAILABLE')
  await submitPassword(NEW_PASSWORD)
  t.match(await outcome('The service is unavailable'), /not changed/)
  await screenshot('reset-password-unavailable')

  await submitPassword(NEW_PASSWORD)
  t.match(await outcome('Your password has been changed'), /log in with your new password/)
  t.equal(await focused(), 'Your password has been changed')
  t.equal(await page.locator('#reset-form').isHidden(), true)
  await screenshot('reset-password-success')

  await page.getByRole('link', { name: 'Log in', exact: true }).click()
  await page.getByLabel('Username or e-mail address').fill(DEMO_USER.username)
  await page.getByLabel('Password').fill(DEMO_USER.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  t.match(await outcome('Wrong login or password'), /Check both/)
  await screenshot('login-old-password')
  await page.getByLabel('Password').fill(NEW_PASSWORD)
  await page.getByRole('button', { name: 'Log in' }).click()
  t.match(await outcome('You are logged in'), /Your password works/)
  await screenshot('login-new-password')

  const resetsBefore = resets()
  await openLink(first)
  const used = await outcome('This link does not work')
  t.match(used, /used already/, 'a used link says so as the page opens')
  t.notMatch(used, /not changed/, 'nothing was tried')
  t.equal(await page.locator('#reset-form').isHidden(), true, 'no password is asked for')
  await screenshot('reset-password-used-link')

  await askForLink()
  await outcome('Check your e-mail')
  const tampered = await mailedLink(2)
  // The first character: all six of its bits count (the last one of a base64url HMAC has padding bits).
  const signature = tampered.searchParams.get('signature')!
  tampered.searchParams.set('signature', `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`)
  await openLink(tampered)
  t.match(await outcome('This link does not work'), /not copied whole/)
  t.equal(await page.locator('#reset-form').isHidden(), true)
  t.equal(resets(), resetsBefore, 'neither link was sent to reset-password')
  await screenshot('reset-password-tampered-link')

  await askForLink()
  await outcome('Check your e-mail')
  const expiring = await mailedLink(3)
  await openLink(expiring)
  await page.locator('#reset-form').waitFor()
  // The link expires while the password is being typed: the reset itself says so.
  clock.offset = 2 * HOUR
  await submitPassword(`${NEW_PASSWORD} again`)
  t.match(await outcome('This link has expired'), /limited time only\. Your password was not changed\./)
  await screenshot('reset-password-expired-link')
  await openLink(expiring)
  t.match(await outcome('This link has expired'), /limited time/, 'an expired link says so as the page opens')
  t.equal(await page.locator('#reset-form').isHidden(), true)
  clock.offset = 0
  await screenshot('reset-password-expired-on-open')
  await page.getByRole('link', { name: 'Ask for a new link' }).click()
  await page.waitForURL(`${origin}/forgot-password/`)
  t.pass('the expired page leads to asking for a new link')

  await openLink(new URL(`${origin}/reset-password/?user_id=1&timestamp=1767225600`))
  t.match(await outcome('This link is incomplete'), /Open the link from the e-mail again/)
  t.equal(await page.locator('#reset-form').isHidden(), true)
  await screenshot('reset-password-incomplete-link')

  // The default limit is three links per login every 15 minutes, a window that opened at the first
  // link: on a busy machine more than a minute may have passed since.
  await askForLink()
  // The minutes left count down from 15 while the test runs, slower on a busy machine.
  t.match(await outcome('Too many requests'), /No new link was sent\. Try again in 1[0-5] minutes\./)
  await screenshot('forgot-password-rate-limited')

  const elsewhere: string[] = []
  const referred: string[] = []
  for (const request of requests) {
    const headers = await request.allHeaders()
    const name = `${request.method()} ${request.url()}`
    if (new URL(request.url()).origin !== origin) elsewhere.push(name)
    // Chromium may list an empty Referer; any content at all would be a leak.
    const leaks = (headers['referer'] ?? '') !== '' || signatures.some((signature) => Object.values(headers).some((value) => value.includes(signature)))
    if (leaks) referred.push(name)
  }
  t.ok(requests.length > 20, `${requests.length} requests were recorded`)
  t.same(elsewhere, [], 'no request leaves for another origin')
  t.same(referred, [], 'no request carries a Referer, nor the signature in any header')
  t.same(problems, [], 'no console errors and no CSP violations')
})

t.test('a user resets a forgotten password with a mailed code in Chromium', async (t) => {
  const example = await openExample(t)
  if (example === null) return
  const { sink, origin, page, problems, screenshot, outcome } = example
  const submit = async (code: string, password: string): Promise<void> => {
    await page.getByLabel('Code from the e-mail').fill(code)
    await page.getByLabel('New password', { exact: true }).fill(password)
    await page.getByLabel('New password, again').fill(password)
    await page.getByRole('button', { name: 'Change password' }).click()
  }

  await page.goto(`${origin}/forgot-password/`)
  await page.getByLabel('Username or e-mail address').fill(DEMO_USER.username)
  await screenshot('forgot-password-form')
  await page.getByRole('button', { name: 'Send me a code instead' }).click()
  await page.waitForURL(`${origin}/reset-with-code/`)
  t.equal(await page.getByLabel('Username or e-mail address').inputValue(), DEMO_USER.username, 'the login is carried over')
  t.equal(await page.evaluate(() => document.activeElement?.id), 'code', 'the code field has focus')
  await screenshot('reset-with-code-form')
  const [mail] = await sink.waitForMails(1)
  const code = codeFrom(mail!)

  await submit(code === '00000000' ? '11111111' : '00000000', NEW_PASSWORD)
  t.match(await outcome('This code does not work'), /not changed/)
  t.equal(await page.getByLabel('Code from the e-mail').getAttribute('aria-invalid'), 'true')
  await screenshot('reset-with-code-wrong')

  await submit(code, '12345678')
  t.match(await outcome('Choose a different password'), /too common/)

  await submit(`${code.slice(0, 4)} ${code.slice(4)}`, NEW_PASSWORD)
  t.match(await outcome('Your password has been changed'), /log in with your new password/)
  t.equal(await page.locator('#code-form').isHidden(), true)
  await screenshot('reset-with-code-success')

  await page.getByRole('link', { name: 'Log in', exact: true }).click()
  await page.getByLabel('Username or e-mail address').fill(DEMO_USER.username)
  await page.getByLabel('Password').fill(NEW_PASSWORD)
  await page.getByRole('button', { name: 'Log in' }).click()
  t.match(await outcome('You are logged in'), /Your password works/)
  t.same(problems, [], 'no console errors and no CSP violations')
})
