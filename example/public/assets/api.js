// Same-origin JSON calls for the example pages. No page talks to any other origin.

/** Where the plugin's routes (and the example's login route) are mounted. */
export const API = '/api/v1/accounts'

/**
 * POSTs `data` as JSON to a path of this origin. Resolves with the status (0 when the network failed),
 * the parsed body (`{}` when it is not JSON) and the Retry-After header in seconds (null when absent).
 */
export async function postJson (path, data) {
  try {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(data),
      credentials: 'same-origin',
      cache: 'no-store',
      referrerPolicy: 'no-referrer'
    })
    const body = await response.json().catch(() => ({}))
    const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10)
    return { status: response.status, body, retryAfter: Number.isNaN(retryAfter) ? null : retryAfter }
  } catch {
    return { status: 0, body: {}, retryAfter: null }
  }
}

/** "Try again in 15 minutes." from a Retry-After in seconds; a vaguer sentence without one. */
export function tryAgainIn (seconds) {
  if (seconds === null) return 'Try again in a few minutes.'
  if (seconds < 60) return 'Try again in a minute.'
  const minutes = Math.ceil(seconds / 60)
  return `Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`
}
