import autocannon from 'autocannon'
import { config } from './config.js'

export interface LoadSpec {
  /** The full URL to POST to. */
  readonly url: string
  /** The JSON body of the next request; called once per request. */
  readonly body: () => string
  /** More headers of the next request (a client address), called once per request with the body. */
  readonly headers?: () => Readonly<Record<string, string>>
  /** Seconds of load; ignored when `amount` is given. */
  readonly seconds?: number
  /** A fixed number of requests instead of a duration. */
  readonly amount?: number
  readonly connections?: number
  /**
   * Keeps this process's event loop polling (a setImmediate loop) instead of sleeping between
   * responses, so that the server's writes never have to wake it (the wake-up scenario). Default:
   * `config.poll` (BENCH_POLL).
   */
  readonly poll?: boolean
}

export interface LoadResult {
  readonly requests: number
  readonly seconds: number
  readonly rps: number
  /** Latency in milliseconds. */
  readonly p50: number
  readonly p99: number
  /** Responses per status code, 2xx included. */
  readonly statuses: Readonly<Record<string, number>>
  /** Connection errors and timeouts (requests with no response at all). */
  readonly errors: number
  /** CPU the load generator itself used, in percent of one core: near 100 means it, not the server, was the limit. */
  readonly clientCpu: number
}

type Setup = (request: autocannon.Request) => autocannon.Request

function setup ({ body, headers }: LoadSpec): Setup {
  // autocannon hands each call a fresh copy of the request, its headers included.
  if (headers === undefined) return (request) => ({ ...request, body: body() })
  return (request) => ({ ...request, body: body(), headers: { ...request.headers, ...headers() } })
}

/** POSTs JSON with autocannon from this process, one core's worth at most, while the server runs in another. */
export async function load (spec: LoadSpec): Promise<LoadResult> {
  const cpu = process.cpuUsage()
  let polling = spec.poll ?? config.poll
  const poll = (): void => { if (polling) setImmediate(poll) }
  poll()
  const result = await autocannon({
    url: spec.url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: spec.connections ?? config.connections,
    ...(spec.amount === undefined ? { duration: spec.seconds ?? config.duration } : { amount: spec.amount }),
    requests: [{ setupRequest: setup(spec) }]
  })
  polling = false
  const used = process.cpuUsage(cpu)
  const statuses: Record<string, number> = {}
  for (const [code, { count = 0 }] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = count
  return {
    requests: result.requests.total,
    seconds: result.duration,
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    statuses,
    errors: result.errors + result.timeouts,
    clientCpu: (used.user + used.system) / (result.duration * 1e4)
  }
}
