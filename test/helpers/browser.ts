import { access } from 'node:fs/promises'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { chromium, type Browser } from 'playwright-core'
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
