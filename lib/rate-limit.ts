import * as crypto from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, preHandlerHookHandler } from 'fastify'
import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit'
// The parser @fastify/rate-limit reads `timeWindow` strings with, so both read '15 minutes' alike.
import { parse } from '@lukeed/ms'
import { fold } from './fold.js'
import { InvalidOptionError, RateLimitedError, ServiceUnavailableError } from './errors.js'
import { bounded } from './store.js'

/** One limit: at most `max` requests per `timeWindow` (milliseconds, or a string such as '15 minutes'). */
export interface LimitRule {
  readonly max: number
  readonly timeWindow: number | string
}

export interface RateLimitOptions {
  readonly sendLink?: {
    /** Per client IP (`request.ip`, so X-Forwarded-For counts only when the app set `trustProxy`). */
    readonly perIp?: LimitRule
    /**
     * Per login string, normalised (NFKC, case-folded, trimmed): variants of one address share a bucket.
     * Answers 429 before any lookup, so it also bounds how often one login can be timed.
     */
    readonly perLogin?: LimitRule
    /**
     * Mails per account, however its login was spelled (username, e-mail, case), counted in the shared
     * store (Redis with `redis`, else this instance's memory). Past it a request still gets the same 200
     * and does the same work, but no mail goes out. Stops mail bombing.
     */
    readonly perAccount?: LimitRule
  }
  readonly resetPassword?: {
    readonly perIp?: LimitRule
    /** Per (user_id, client IP): guessing is slowed, yet an attacker elsewhere cannot lock the user out of their own reset. */
    readonly perUser?: LimitRule
  }
  /** An ioredis client, to share the counters across instances. Ignored when the app registered @fastify/rate-limit itself. */
  readonly redis?: object
}

export interface RateLimitSettings {
  readonly sendLinkPerIp: LimitRule
  readonly sendLinkPerLogin: LimitRule
  readonly sendLinkPerAccount: LimitRule
  readonly resetPerIp: LimitRule
  readonly resetPerUser: LimitRule
  readonly redis: object | undefined
}

export const rateLimitDefaults = {
  sendLinkPerIp: { max: 10, timeWindow: '1 minute' },
  sendLinkPerLogin: { max: 3, timeWindow: '15 minutes' },
  sendLinkPerAccount: { max: 3, timeWindow: '15 minutes' },
  resetPerIp: { max: 20, timeWindow: '1 minute' },
  resetPerUser: { max: 10, timeWindow: '15 minutes' }
} as const satisfies Record<string, LimitRule>

function rule (name: string, value: LimitRule | undefined, fallback: LimitRule): LimitRule {
  if (value === undefined) return fallback
  const validMax = typeof value === 'object' && value !== null && Number.isSafeInteger(value.max) && value.max >= 1
  const validWindow = validMax && ((Number.isSafeInteger(value.timeWindow) && (value.timeWindow as number) >= 1) || (typeof value.timeWindow === 'string' && (parse(value.timeWindow) ?? 0) >= 1))
  if (!validWindow) throw new InvalidOptionError(`rateLimit.${name}`, 'must be { max: positive integer, timeWindow: milliseconds or a string such as "15 minutes" }')
  return { max: value.max, timeWindow: value.timeWindow }
}

export function resolveRateLimit (options: RateLimitOptions | false | undefined): RateLimitSettings | false {
  if (options === false) return false
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new InvalidOptionError('rateLimit', 'must be an object or false')
  const { sendLink, resetPassword, redis } = options ?? {}
  if (redis !== undefined && (typeof redis !== 'object' || redis === null)) throw new InvalidOptionError('rateLimit.redis', 'must be an ioredis client')
  return {
    sendLinkPerIp: rule('sendLink.perIp', sendLink?.perIp, rateLimitDefaults.sendLinkPerIp),
    sendLinkPerLogin: rule('sendLink.perLogin', sendLink?.perLogin, rateLimitDefaults.sendLinkPerLogin),
    sendLinkPerAccount: rule('sendLink.perAccount', sendLink?.perAccount, rateLimitDefaults.sendLinkPerAccount),
    resetPerIp: rule('resetPassword.perIp', resetPassword?.perIp, rateLimitDefaults.resetPerIp),
    resetPerUser: rule('resetPassword.perUser', resetPassword?.perUser, rateLimitDefaults.resetPerUser),
    redis
  }
}

/** At most `max` mails per account in `windowMs`. */
export interface AccountCap {
  readonly max: number
  readonly windowMs: number
}

/**
 * The per-account mail cap. With rate limits off, mails are still counted (so a request does the same
 * work either way) but never capped.
 */
export function accountCap (settings: RateLimitSettings | false): AccountCap {
  const { max, timeWindow } = settings === false ? rateLimitDefaults.sendLinkPerAccount : settings.sendLinkPerAccount
  return { max: settings === false ? Infinity : max, windowMs: typeof timeWindow === 'number' ? timeWindow : parse(timeWindow) as number }
}

// crypto.hash (Node 20.12 and 21.7 on) digests a string in one call, with no Hash object: in a
// profile of send-link under load, createHash, update and digest took 3 µs a key.
/* c8 ignore start: the fallback is for Node 20.0 to 20.11 only, which no test runs on */
const sha256 = typeof crypto.hash === 'function'
  ? (text: string): string => crypto.hash('sha256', text, 'base64url')
  : (text: string): string => crypto.createHash('sha256').update(text).digest('base64url')
/* c8 ignore stop */

/** The key of a login's bucket: variants of one address share it, and the store never sees the address itself. */
export function loginKey (login: string): string {
  return sha256(fold(login).trim())
}

export interface RouteLimits {
  readonly onRequest: onRequestHookHandler[]
  readonly preHandler: preHandlerHookHandler[]
}

export interface Limits {
  readonly sendLink: RouteLimits
  readonly resetPassword: RouteLimits
  /** reset-password-with-code: the per-IP bucket of reset-password, and `resetPassword.perUser` per (login, IP). */
  readonly resetWithCode: RouteLimits
}

const open: RouteLimits = { onRequest: [], preHandler: [] }
const none: Limits = { sendLink: open, resetPassword: open, resetWithCode: open }

/**
 * The limiter hooks of both routes. Reuses the app's @fastify/rate-limit registration (and so its store)
 * when there is one; otherwise registers it in the plugin's own context, for the plugin's routes only.
 * Per-IP limits run onRequest, before the body is parsed; per-login and per-user ones need the
 * validated body, so they run in preHandler.
 */
export async function rateLimits (instance: FastifyInstance, settings: RateLimitSettings | false, storeTimeout: number): Promise<Limits> {
  if (settings === false) return none
  const ours = !instance.hasDecorator('createRateLimit')
  // An app's own registration may keep its counters anywhere; ours without Redis keeps them in memory,
  // which cannot hang, so its checks need no timeout (one promise and deadline less per limiter).
  const inMemory = ours && settings.redis === undefined
  if (ours) {
    await instance.register(fastifyRateLimit, {
      global: false,
      ...(settings.redis === undefined ? {} : { redis: settings.redis as never, nameSpace: 'fastify-reset-password:' })
    })
  }
  // Each limiter has its own key prefix: a store shared with the app must not mix its counters with ours.
  // createRateLimit, checked by hand: the hooks of `rateLimit()` let only the first limiter of a request
  // run (a request flag shared by the whole registration), so the per-login and per-user limits never would.
  const limiter = (name: string, limit: LimitRule, key: (request: FastifyRequest) => string) => {
    const check = instance.createRateLimit({
      max: limit.max,
      timeWindow: limit.timeWindow,
      keyGenerator: (request) => `reset-password:${name}:${key(request)}`
    })
    return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      // A store that fails or hangs (Redis down) closes the door with the same 503 as a failing user store, never a 500.
      const result = await (inMemory ? check(request) : bounded(check(request), storeTimeout, 'the rate-limit store')).catch((err: unknown) => {
        request.log.error({ err }, 'fastify-reset-password: the rate-limit store failed')
        throw new ServiceUnavailableError()
      })
      if (result.isAllowed || !result.isExceeded) return
      reply.header('retry-after', result.ttlInSeconds)
      throw new RateLimitedError(`${result.ttlInSeconds} seconds`)
    }
  }
  // IPv6 clients are counted per /64, as @fastify/rate-limit's own key does: one host usually holds a whole /64.
  // An IPv4 address is its own key; normalizeIP would first try it against a long IPv6 pattern.
  const ip = (request: FastifyRequest): string => request.ip.includes(':') ? normalizeIP(request.ip) : request.ip
  const body = (request: FastifyRequest): Record<string, unknown> => request.body as Record<string, unknown>
  const resetPerIp = limiter('reset:ip', settings.resetPerIp, ip)
  return {
    sendLink: {
      onRequest: [limiter('send-link:ip', settings.sendLinkPerIp, ip)],
      preHandler: [limiter('send-link:login', settings.sendLinkPerLogin, (request) => loginKey(body(request)['login'] as string))]
    },
    resetPassword: {
      onRequest: [resetPerIp],
      preHandler: [limiter('reset:user', settings.resetPerUser, (request) => `${String(body(request)['user_id'])}:${ip(request)}`)]
    },
    resetWithCode: {
      onRequest: [resetPerIp],
      preHandler: [limiter('code:login', settings.resetPerUser, (request) => `${loginKey(body(request)['login'] as string)}:${ip(request)}`)]
    }
  }
}
