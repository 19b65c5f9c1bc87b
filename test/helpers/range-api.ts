import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

/**
 * How the server answers: `ok` as the Pwned Passwords range API does; `slow` never (the request hangs);
 * `error` 500; `garbage` an HTML page; `empty` a 200 without lines; `huge` over a mebibyte of lines;
 * `redirect` a 302 to itself; `reset` drops the connection.
 */
export type RangeMode = 'ok' | 'slow' | 'error' | 'garbage' | 'empty' | 'huge' | 'redirect' | 'reset'

export interface RangeRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
}

export interface RangeApi {
  /** The range API's base URL, ending in /range/. */
  readonly url: string
  /** Every request the server received, in order. */
  readonly requests: RangeRequest[]
  mode: RangeMode
  /** Makes `password` breached, seen `count` times. */
  breach (password: string, count: number): void
  /** Puts `password`'s suffix among the padding lines (count 0), as if the padding had picked it. */
  padWith (password: string): void
}

// The real API pads every answer to between 800 and 1,000 lines.
const PADDED_LINES = 800

export function sha1 (password: string): string {
  return createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase()
}

/**
 * A Pwned Passwords range API on loopback (https://haveibeenpwned.com/API/v3#SearchingPwnedPasswordsByRange):
 * `GET /range/{5 hex digits}` answers `SUFFIX:COUNT` lines, CRLF-separated, with count-0 padding
 * lines when asked with `Add-Padding: true`. Closed in teardown, hanging requests included.
 */
export async function startRangeApi (t: Test): Promise<RangeApi> {
  const breached = new Map<string, number>()
  const padding = new Set<string>()
  const requests: RangeRequest[] = []
  const server = createServer((request, response) => {
    const url = request.url as string
    requests.push({ method: request.method as string, url, headers: request.headers })
    switch (api.mode) {
      case 'slow': return
      case 'reset': request.socket.destroy(); return
      case 'error': response.writeHead(500).end('Internal Server Error'); return
      case 'garbage': response.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Please log in to the Wi-Fi</body></html>'); return
      case 'empty': response.writeHead(200, { 'content-type': 'text/plain' }).end(); return
      case 'redirect': response.writeHead(302, { location: url }).end(); return
      case 'huge': response.writeHead(200, { 'content-type': 'text/plain' }).end(`${'0'.repeat(35)}:1\r\n`.repeat(40_000)); return
    }
    // The tests check what was asked for (requests); the answer is for whatever follows /range/.
    const prefix = url.slice('/range/'.length).toUpperCase()
    const lines = new Map<string, number>()
    for (const [hash, count] of breached) if (hash.startsWith(prefix)) lines.set(hash.slice(5), count)
    if (request.headers['add-padding'] === 'true') {
      for (const hash of padding) if (hash.startsWith(prefix)) lines.set(hash.slice(5), 0)
      while (lines.size < PADDED_LINES) lines.set(randomBytes(18).toString('hex').slice(0, 35).toUpperCase(), 0)
    }
    const body = [...lines].sort(([a], [b]) => a < b ? -1 : 1).map(([suffix, count]) => `${suffix}:${count}`).join('\r\n')
    response.writeHead(200, { 'content-type': 'text/plain' }).end(body)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  const { port } = server.address() as AddressInfo
  const api: RangeApi = {
    url: `http://127.0.0.1:${port}/range/`,
    requests,
    mode: 'ok',
    breach (password, count) { breached.set(sha1(password), count) },
    padWith (password) { padding.add(sha1(password)) }
  }
  return api
}
