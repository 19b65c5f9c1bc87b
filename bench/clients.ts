// Client addresses for loads that pass through the plugin's rate limits: every request comes from
// another client, as behind a proxy that serves many, so the limiters run and count on every
// request yet none of them triggers. The per-IP limit (10 a minute by default) would stop a single
// client after 10 requests; here an address comes back only after 2^24 requests.

const SPACE = 2 ** 24

/** Yields `{ 'x-forwarded-for': address }` for 10.0.0.1, 10.0.0.2, ... through 10.0.0.0/8, then again. */
export function rotatingClients (): () => Readonly<Record<string, string>> {
  let i = 0
  return () => {
    i = (i + 1) % SPACE
    return { 'x-forwarded-for': `10.${i >>> 16}.${(i >>> 8) & 255}.${i & 255}` }
  }
}
