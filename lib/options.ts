import type { FastifyRequest } from 'fastify'
import type { Transporter } from 'nodemailer'
import type { ResetPasswordUser, UserAdapter } from './users/adapter.js'
import type { LinkSigner, SignerFactory } from './signer/signer.js'
import { hmacSigner } from './signer/hmac.js'
import { createPasswordPolicy, type PasswordPolicy, type PasswordPolicyOptions } from './password/policy.js'
import { hashPassword } from './password/hash.js'
import { breachedDefaults, type BreachedPasswordOptions, type BreachedSettings } from './password/breached.js'
import type { MailMessage, LinkTemplate, NoticeTemplate, UnknownAccountTemplate } from './mail/templates.js'
import { queueDefaults, type QueueOptions, type QueueSettings } from './mail/queue.js'
import { resolveRateLimit, type RateLimitOptions, type RateLimitSettings } from './rate-limit.js'
import type { Producer } from './producer.js'
import { InvalidOptionError } from './errors.js'
import type { SharedStore } from './store/shared-store.js'
import { memoryStore } from './store/memory.js'
import { redisStore } from './store/redis.js'
import { boundedStore } from './store/bounded.js'
import type { CodeTemplate } from './codes/template.js'
import { resolveCodes, type CodeOptions, type CodeSettings } from './codes/options.js'

/** Anything `nodemailer.createTransport` takes (a URL or options object), or a ready Transporter. */
export type MailTransport = string | Record<string, unknown> | Transporter<unknown>

export interface MailOptions {
  /** An SMTP URL, nodemailer transport options, or a Transporter (which the app keeps and closes). */
  readonly transport?: MailTransport
  /** The From address of every mail. */
  readonly from: string
  readonly replyTo?: string
  /** Builds the reset-link mail; defaults to a short English message. */
  readonly linkTemplate?: LinkTemplate
  /** Builds the reset-code mail (with the `codes` option); defaults to a short English message. */
  readonly codeTemplate?: CodeTemplate
  /** Builds the "your password was changed" notice; `false` sends none. */
  readonly changedNotice?: NoticeTemplate | false
  /**
   * Mail an e-mail address that asked for a link but has no account, at most once an hour per
   * address (counted per instance). Off by default: `true` for the default text, or a template.
   */
  readonly unknownAccountNotice?: boolean | UnknownAccountTemplate
  /** Picks the mail's locale from the request that asked for it, e.g. from Accept-Language; templates receive it. */
  readonly locale?: (request: FastifyRequest) => string | undefined
}

/**
 * Replaces nodemailer: receives each message and its user (null for an unknown-account notice),
 * e.g. to hand it to a durable queue. A rejected promise counts as a failed attempt and is retried
 * like an SMTP failure.
 */
export type DeliverFunction = (message: MailMessage, user: ResetPasswordUser | null) => Promise<unknown> | unknown

export interface PasswordOptions extends PasswordPolicyOptions {
  /** Hashes a new password for storage; default scrypt (see `hashPassword`). */
  readonly hash?: (password: string) => Promise<string>
  /**
   * Refuse passwords found in data breaches (reason `password_breached`), asking a Pwned Passwords
   * range API with the first 5 hex digits of the password's SHA-1. Off by default: `true` for the
   * defaults, or options.
   */
  readonly breached?: boolean | BreachedPasswordOptions
}

export interface ResetPasswordOptions {
  /** Where the routes mount, e.g. '/api/v1/accounts'. */
  readonly prefix?: string
  /** HMAC key of at least 32 characters, or `[current, ...previous]` to rotate keys. Required unless `signer` is given. */
  readonly secret?: string | readonly string[]
  /** Replaces the default signer, e.g. `djangoSigner({ secretKey })` to take over django-rest-registration links. */
  readonly signer?: SignerFactory
  /** The frontend page that receives `user_id`, `timestamp` and `signature` as query parameters. */
  readonly verificationUrl: string
  /** The user store. */
  readonly users: UserAdapter
  /** Mail settings; required unless `deliver` replaces nodemailer. */
  readonly mail?: MailOptions
  readonly deliver?: DeliverFunction
  /** Seconds a link stays valid. Default 3600. */
  readonly period?: number
  /** Whether a link stops working once used (and once the e-mail address changes). Default true. */
  readonly oneTimeUse?: boolean
  /** Answer 400 to an unknown login instead of the same 200 as a known one. Default false (no enumeration). */
  readonly failWhenUserNotFound?: boolean
  /** Require `password_confirm` equal to `password`. Default false. */
  readonly passwordConfirm?: boolean
  readonly password?: PasswordOptions
  /** Rate limits of both routes, or `false` to turn them off (only behind another limiter). */
  readonly rateLimit?: RateLimitOptions | false
  readonly queue?: QueueOptions
  /**
   * Longest wait in ms for any store call: the user store, the rate-limit store and the shared
   * store. A call that takes longer answers 503 FST_RESET_PASSWORD_UNAVAILABLE, whatever the
   * client's own retries (an ioredis client at its defaults retries a command for over a minute,
   * and `pg`'s pool waits for a connection without end). Default 2000.
   */
  readonly storeTimeout?: number
  /**
   * A durable queue (e.g. `bullmqProducer()` from `fastify-reset-password/bullmq`): send-link and the
   * changed-password notice are stored there before the reply, and a worker looks up, signs and sends.
   * Without it, mail goes through the in-process queue, which a crash empties.
   */
  readonly producer?: Producer
  /** The clock, in milliseconds. Default `Date.now`. */
  readonly now?: () => number
  /**
   * `'django-rest-registration'` answers as django-rest-registration 0.9 does (bodies, status codes,
   * form-encoded requests) and takes its defaults for `period` (1 day), `oneTimeUse` (false) and
   * `failWhenUserNotFound` (true). See docs/migrating-from-django-rest-registration.md.
   */
  readonly compat?: 'django-rest-registration'
  /**
   * Reset by a code typed into the app (`send-reset-password-code`, `reset-password-with-code`), beside the link.
   * Off by default; needs `secret`; not with `compat`. See docs/reset-codes.md.
   */
  readonly codes?: true | CodeOptions
  /** With `compat`: the send-link field is `email` instead of `login` (drr's SEND_RESET_PASSWORD_LINK_SERIALIZER_USE_EMAIL). */
  readonly useEmail?: boolean
}

// ---------------------------------------------------------------------------------------------
// Register-time checks: every option is checked once, with a message that names it.

/** The options after checks and defaults: what the rest of the plugin reads. */
export interface Settings {
  readonly prefix: string
  readonly signer: LinkSigner
  readonly verificationUrl: URL
  readonly users: UserAdapter
  readonly mail: MailOptions | undefined
  readonly deliver: DeliverFunction | undefined
  readonly period: number
  readonly oneTimeUse: boolean
  readonly failWhenUserNotFound: boolean
  readonly passwordConfirm: boolean
  readonly policy: PasswordPolicy
  readonly hash: (password: string) => Promise<string>
  readonly breached: BreachedSettings | null
  readonly rateLimit: RateLimitSettings | false
  /** Counters and marks: in the Redis of `rateLimit.redis` when given, so instances share them; else in memory. */
  readonly store: SharedStore
  readonly storeTimeout: number
  readonly queue: QueueSettings
  readonly producer: Producer | undefined
  readonly now: () => number
  readonly compat: 'django-rest-registration' | undefined
  readonly useEmail: boolean
  /** Undefined unless the `codes` option is set. */
  readonly codes: CodeSettings | undefined
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])
const MIN_SECRET_LENGTH = 32
const STORE_TIMEOUT = 2000

function fail (name: string, must: string): never {
  throw new InvalidOptionError(name, must)
}

function positiveInteger (name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) fail(name, 'must be a positive integer')
  return value
}

function flag (name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') fail(name, 'must be a boolean')
  return value
}

function secrets (value: unknown): readonly string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0) fail('secret', `must be a string of at least ${MIN_SECRET_LENGTH} characters, or a non-empty array of them`)
  for (const secret of list) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) fail('secret', `must hold only strings of at least ${MIN_SECRET_LENGTH} characters`)
  }
  return list as string[]
}

function secureUrl (name: string, value: unknown): URL {
  if (typeof value !== 'string' || !URL.canParse(value)) fail(name, 'must be an absolute URL')
  const url = new URL(value)
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))
  if (!secure) fail(name, 'must use https: (http: only for localhost, 127.0.0.1 or [::1])')
  return url
}

function users (value: unknown): UserAdapter {
  const adapter = value as Partial<UserAdapter> | null
  const methods = ['findByLogin', 'findById', 'replacePasswordHash'] as const
  if (typeof adapter !== 'object' || adapter === null || methods.some((m) => typeof adapter[m] !== 'function')) {
    fail('users', `must be a user adapter with ${methods.join(', ')} (e.g. kyselyUsers(db))`)
  }
  return adapter as UserAdapter
}

function mail (value: unknown, deliver: unknown): { mail: MailOptions | undefined, deliver: DeliverFunction | undefined } {
  if (deliver !== undefined && typeof deliver !== 'function') fail('deliver', 'must be a function (message, user) => Promise')
  if (value === undefined) {
    if (deliver === undefined) fail('mail', 'is required unless a deliver function is given')
    return { mail: undefined, deliver: deliver as DeliverFunction }
  }
  const options = value as Partial<MailOptions> | null
  if (typeof options !== 'object' || options === null) fail('mail', 'must be an object')
  if (typeof options.from !== 'string' || options.from === '') fail('mail.from', 'must be a sender address')
  if (deliver === undefined && options.transport === undefined) fail('mail.transport', 'is required unless a deliver function is given')
  for (const name of ['linkTemplate', 'codeTemplate', 'locale'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') fail(`mail.${name}`, 'must be a function')
  }
  if (options.changedNotice !== undefined && options.changedNotice !== false && typeof options.changedNotice !== 'function') {
    fail('mail.changedNotice', 'must be a function or false')
  }
  if (options.unknownAccountNotice !== undefined && typeof options.unknownAccountNotice !== 'boolean' && typeof options.unknownAccountNotice !== 'function') {
    fail('mail.unknownAccountNotice', 'must be a boolean or a function')
  }
  return { mail: options as MailOptions, deliver: deliver as DeliverFunction | undefined }
}

function producer (value: unknown): Producer | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || typeof (value as Partial<Producer>).enqueue !== 'function') {
    fail('producer', 'must have an enqueue(job) method (e.g. bullmqProducer() from fastify-reset-password/bullmq)')
  }
  return value as Producer
}

function queue (value: QueueOptions | undefined): QueueSettings {
  const options = value ?? {}
  return {
    concurrency: positiveInteger('queue.concurrency', options.concurrency, queueDefaults.concurrency),
    attempts: positiveInteger('queue.attempts', options.attempts, queueDefaults.attempts),
    retryDelay: positiveInteger('queue.retryDelay', options.retryDelay, queueDefaults.retryDelay),
    maxRetryDelay: positiveInteger('queue.maxRetryDelay', options.maxRetryDelay, queueDefaults.maxRetryDelay),
    closeTimeout: positiveInteger('queue.closeTimeout', options.closeTimeout, queueDefaults.closeTimeout)
  }
}

function breached (value: unknown): BreachedSettings | null {
  if (value === undefined || value === false) return null
  if (value === true) return breachedDefaults
  if (typeof value !== 'object' || value === null) fail('password.breached', 'must be a boolean or { url?, timeout?, failOpen?, minCount? }')
  const options = value as BreachedPasswordOptions
  const { href } = secureUrl('password.breached.url', options.url ?? breachedDefaults.url)
  // The hash prefix is appended as the last path segment.
  if (!href.endsWith('/')) fail('password.breached.url', 'must end with / (the hash prefix is appended)')
  return {
    url: href,
    timeout: positiveInteger('password.breached.timeout', options.timeout, breachedDefaults.timeout),
    failOpen: flag('password.breached.failOpen', options.failOpen, breachedDefaults.failOpen),
    minCount: positiveInteger('password.breached.minCount', options.minCount, breachedDefaults.minCount)
  }
}

function password (value: PasswordOptions | undefined): { policy: PasswordPolicy, hash: (password: string) => Promise<string>, breached: BreachedSettings | null } {
  const { hash, breached: breachedOption, ...policyOptions } = value ?? {}
  if (hash !== undefined && typeof hash !== 'function') fail('password.hash', 'must be a function (password) => Promise<string>')
  // createPasswordPolicy throws InvalidOptionError already naming "password.<name>".
  return { policy: createPasswordPolicy(policyOptions), hash: hash ?? hashPassword, breached: breached(breachedOption) }
}

// django-rest-registration's defaults (rest_registration/settings_fields.py), taken with `compat`.
const DRR_DEFAULTS = { period: 86_400, oneTimeUse: false, failWhenUserNotFound: true }
const OWN_DEFAULTS = { period: 3600, oneTimeUse: true, failWhenUserNotFound: false }

function compat (value: unknown, useEmail: unknown): { compat: 'django-rest-registration' | undefined, useEmail: boolean } {
  if (value !== undefined && value !== 'django-rest-registration') fail('compat', 'must be \'django-rest-registration\' or undefined')
  const email = flag('useEmail', useEmail, false)
  if (email && value === undefined) fail('useEmail', 'only applies with compat: \'django-rest-registration\'')
  return { compat: value, useEmail: email }
}

/** Checks the options and fills in defaults; throws FST_RESET_PASSWORD_INVALID_OPTION naming the first bad option. */
export function resolveOptions (options: ResetPasswordOptions): Settings {
  const wire = compat(options.compat, options.useEmail)
  const defaults = wire.compat === undefined ? OWN_DEFAULTS : DRR_DEFAULTS
  const oneTimeUse = flag('oneTimeUse', options.oneTimeUse, defaults.oneTimeUse)
  if (options.signer !== undefined && typeof options.signer !== 'function') fail('signer', 'must be a signer factory such as djangoSigner({ secretKey })')
  const signerFactory = options.signer ?? hmacSigner(secrets(options.secret))
  const prefix = options.prefix ?? ''
  if (typeof prefix !== 'string') fail('prefix', 'must be a string')
  if (options.now !== undefined && typeof options.now !== 'function') fail('now', 'must be a function returning milliseconds')
  const now = options.now ?? Date.now
  const rateLimit = resolveRateLimit(options.rateLimit)
  const redis = rateLimit === false ? undefined : rateLimit.redis
  const storeTimeout = positiveInteger('storeTimeout', options.storeTimeout, STORE_TIMEOUT)
  return {
    prefix,
    signer: signerFactory({ oneTimeUse }),
    verificationUrl: secureUrl('verificationUrl', options.verificationUrl),
    users: users(options.users),
    ...mail(options.mail, options.deliver),
    period: positiveInteger('period', options.period, defaults.period),
    oneTimeUse,
    failWhenUserNotFound: flag('failWhenUserNotFound', options.failWhenUserNotFound, defaults.failWhenUserNotFound),
    passwordConfirm: flag('passwordConfirm', options.passwordConfirm, false),
    ...password(options.password),
    rateLimit,
    store: redis === undefined ? memoryStore(now) : boundedStore(redisStore(redis), storeTimeout),
    storeTimeout,
    queue: queue(options.queue),
    producer: producer(options.producer),
    now,
    ...wire,
    codes: resolveCodes(options.codes, wire.compat, options.codes === undefined || options.secret === undefined ? undefined : secrets(options.secret)[0])
  }
}
