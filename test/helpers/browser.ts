import { access } from 'node:fs/promises'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { Test } from 'tap'

/** Debian's `chromium` package. The tests download no browser. */
const CHROMIUM = '/usr/bin/chromium'
const INSTALL_CHROMIUM = 'apt-get update && apt-get install -y chromium'

/**
 * Debian's Chromium, headless, closed in teardown. When it is not installed the test fails under
 * CI; elsewhere it records a skip saying how to install it and returns null.
 */
export async function launchChromium (t: Test): Promise<Browser | null> {
  try {
    await access(CHROMIUM)
  } catch {
    /* c8 ignore start: runs only where Chromium is not installed */
    const message = `${CHROMIUM} is missing; install it with: ${INSTALL_CHROMIUM}`
    if (process.env.CI !== undefined && process.env.CI !== '') throw new Error(message)
    t.pass(message, { skip: true })
    return null
    /* c8 ignore stop */
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  t.teardown(async () => { await browser.close() })
  return browser
}

/**
 * A TCP port that was free a moment ago on 127.0.0.1, for a server whose own URL must be known
 * before it listens (the example mails links to itself).
 */
export async function freePort (): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** A page of the reference frontend, with what the tests read off it. */
export interface WatchedPage {
  readonly page: Page
  /** Console errors and page errors: a CSP violation shows up here. The API's own error answers do not. */
  readonly problems: string[]
  /** Saves a full-page screenshot as `<artifacts>/<name>.png`, to look at. */
  screenshot (name: string): Promise<void>
  /** Waits for the status region to show `title`, and returns what it says. */
  outcome (title: string): Promise<string>
}

/** A new page in `context` that records every console error not caused by an API answer from `origin`. */
export async function watchedPage (context: BrowserContext, origin: string, artifacts: string): Promise<WatchedPage> {
  const page = await context.newPage()
  const problems: string[] = []
  // A CSP violation (an inline script or style, another origin) is reported on the console, and so
  // is every failed load: the API's error answers are expected, any other is a problem.
  page.on('console', (message) => {
    const expected = message.text().startsWith('Failed to load resource') && message.location().url.startsWith(`${origin}/api/`)
    if (message.type() === 'error' && !expected) problems.push(`${message.text()} (${message.location().url})`)
  })
  page.on('pageerror', (error) => problems.push(error.message))
  return {
    page,
    problems,
    async screenshot (name) {
      await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true })
    },
    async outcome (title) {
      await page.locator('#status h2', { hasText: title }).waitFor()
      return await page.locator('#status').innerText()
    }
  }
}
