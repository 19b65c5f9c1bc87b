import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { Transporter } from 'nodemailer'
import type { Kysely } from 'kysely'
import { expect, test } from 'tstyche'
import resetPassword, * as api from '../../lib/index.js'
import type {
  DeliverFunction, LimitRule, LinkMailData, LinkSigner, LinkTemplate, MailContent, MailMessage, MailOptions, MailTransport,
  NoticeMailData, NoticeTemplate, PasswordOptions, PasswordPolicyOptions, PasswordReason, PasswordValidator, QueueOptions,
  RateLimitOptions, ResetLinkParams, ResetLinks, ResetPassword, ResetPasswordEvents, ResetPasswordOptions, ResetPasswordUser,
  ScryptParams, SendLinkOptions, SignedUser, SignerFactory, UserAdapter, KyselyUsersOptions, KyselyUsersColumns, LoginField,
  DjangoSignerOptions, PasswordPolicy, PasswordUser, Producer, DurableJob, LinkRequestJob, ChangedNoticeJob, BreachedPasswordOptions, CodeOptions, CodeMailData, CodeTemplate,
  SqliteStatementCacheOptions, CacheableSqliteDatabase, CacheableSqliteStatement, PgNamedStatementsOptions, NamingPgPool, NamingPgClient, NamedQueryConfig
} from '../../lib/index.js'
import type { DurableQueueStats } from '../../lib/bullmq/index.js'

type IsAny<T> = 0 extends 1 & T ? true : false
type Deeper<D extends unknown[]> = [...D, unknown]

type Primitive = string | number | boolean | bigint | symbol | null | undefined | void

// Types of other packages are theirs: the walk stops at them, or (for generic ones) checks only
// the type arguments the plugin chose.
type Foreign = FastifyInstance | FastifyRequest | FastifyBaseLogger | Date | Error

/**
 * Whether `any` is reachable in T: through properties, parameters and results of call and construct
 * signatures (the last overload), promises, iterables and unions, six levels deep.
 */
type LeaksAny<T> = true extends Leaks<T, []> ? true : false

type Leaks<T, D extends unknown[]> =
  IsAny<T> extends true ? true
  : D['length'] extends 6 ? false
  : T extends Primitive | Foreign ? false
  : T extends Kysely<infer DB> ? Leaks<DB, Deeper<D>>
  : T extends Transporter<infer Info> ? Leaks<Info, Deeper<D>>
  : T extends Iterable<infer E> ? Leaks<E, Deeper<D>>
  : T extends PromiseLike<infer U> ? Leaks<U, Deeper<D>>
  : T extends (...args: infer A) => infer R ? Leaks<A[number], Deeper<D>> | Leaks<R, Deeper<D>> | Members<T, D>
  : T extends abstract new (...args: infer A) => infer R ? Leaks<A[number], Deeper<D>> | Leaks<R, Deeper<D>> | Members<T, D>
  : T extends object ? Members<T, D>
  : false

type Members<T, D extends unknown[]> = { [K in keyof T]-?: Leaks<T[K], Deeper<D>> }[keyof T] | false

test('the helper finds any wherever it hides', () => {
  expect<LeaksAny<{ a: { b: Promise<Array<string | any>> } }>>().type.toBe<true>()
  expect<LeaksAny<(x: string, ...rest: any[]) => void>>().type.toBe<true>()
  expect<LeaksAny<new () => { x: any }>>().type.toBe<true>()
  expect<LeaksAny<{ a: { b: Promise<Array<string | number>> }, f: (x: unknown) => Date }>>().type.toBe<false>()
})

test('no exported value leaks any', () => {
  expect<LeaksAny<typeof resetPassword>>().type.toBe<false>()
  expect<LeaksAny<typeof api.hmacSigner>>().type.toBe<false>()
  expect<LeaksAny<typeof api.djangoSigner>>().type.toBe<false>()
  expect<LeaksAny<typeof api.kyselyUsers>>().type.toBe<false>()
  expect<LeaksAny<typeof api.sqliteStatementCache>>().type.toBe<false>()
  expect<LeaksAny<typeof api.pgNamedStatements>>().type.toBe<false>()
  expect<LeaksAny<typeof api.hashPassword>>().type.toBe<false>()
  expect<LeaksAny<typeof api.verifyPassword>>().type.toBe<false>()
  expect<LeaksAny<typeof api.createPasswordPolicy>>().type.toBe<false>()
  expect<LeaksAny<typeof api.escapeHtml>>().type.toBe<false>()
  expect<LeaksAny<typeof api.defaultLinkTemplate>>().type.toBe<false>()
  expect<LeaksAny<typeof api.defaultChangedNotice>>().type.toBe<false>()
  expect<LeaksAny<typeof api.defaultCodeTemplate>>().type.toBe<false>()
  expect<LeaksAny<typeof api.errors>>().type.toBe<false>()
})

test('no exported type leaks any', () => {
  expect<LeaksAny<ResetPasswordOptions>>().type.toBe<false>()
  expect<LeaksAny<MailOptions>>().type.toBe<false>()
  expect<LeaksAny<MailTransport>>().type.toBe<false>()
  expect<LeaksAny<DeliverFunction>>().type.toBe<false>()
  expect<LeaksAny<PasswordOptions>>().type.toBe<false>()
  expect<LeaksAny<PasswordPolicyOptions>>().type.toBe<false>()
  expect<LeaksAny<PasswordValidator>>().type.toBe<false>()
  expect<LeaksAny<PasswordReason>>().type.toBe<false>()
  expect<LeaksAny<ResetPassword>>().type.toBe<false>()
  expect<LeaksAny<SendLinkOptions>>().type.toBe<false>()
  expect<LeaksAny<ResetPasswordEvents>>().type.toBe<false>()
  expect<LeaksAny<ResetLinks>>().type.toBe<false>()
  expect<LeaksAny<ResetLinkParams>>().type.toBe<false>()
  expect<LeaksAny<LinkSigner>>().type.toBe<false>()
  expect<LeaksAny<SignedUser>>().type.toBe<false>()
  expect<LeaksAny<SignerFactory>>().type.toBe<false>()
  expect<LeaksAny<UserAdapter>>().type.toBe<false>()
  expect<LeaksAny<ResetPasswordUser>>().type.toBe<false>()
  expect<LeaksAny<KyselyUsersOptions>>().type.toBe<false>()
  expect<LeaksAny<MailMessage>>().type.toBe<false>()
  expect<LeaksAny<MailContent>>().type.toBe<false>()
  expect<LeaksAny<LinkMailData>>().type.toBe<false>()
  expect<LeaksAny<NoticeMailData>>().type.toBe<false>()
  expect<LeaksAny<LinkTemplate>>().type.toBe<false>()
  expect<LeaksAny<NoticeTemplate>>().type.toBe<false>()
  expect<LeaksAny<QueueOptions>>().type.toBe<false>()
  expect<LeaksAny<RateLimitOptions>>().type.toBe<false>()
  expect<LeaksAny<LimitRule>>().type.toBe<false>()
  expect<LeaksAny<ScryptParams>>().type.toBe<false>()
  expect<LeaksAny<KyselyUsersColumns>>().type.toBe<false>()
  expect<LeaksAny<DjangoSignerOptions>>().type.toBe<false>()
  expect<LeaksAny<PasswordPolicy>>().type.toBe<false>()
  expect<LeaksAny<Producer>>().type.toBe<false>()
  expect<LeaksAny<DurableJob>>().type.toBe<false>()
  expect<LeaksAny<LinkRequestJob>>().type.toBe<false>()
  expect<LeaksAny<ChangedNoticeJob>>().type.toBe<false>()
  expect<LeaksAny<DurableQueueStats>>().type.toBe<false>()
  expect<LeaksAny<BreachedPasswordOptions>>().type.toBe<false>()
  expect<LeaksAny<CodeOptions>>().type.toBe<false>()
  expect<LeaksAny<CodeMailData>>().type.toBe<false>()
  expect<LeaksAny<CodeTemplate>>().type.toBe<false>()
  expect<LeaksAny<SqliteStatementCacheOptions>>().type.toBe<false>()
  expect<LeaksAny<CacheableSqliteDatabase>>().type.toBe<false>()
  expect<LeaksAny<CacheableSqliteStatement>>().type.toBe<false>()
  expect<LeaksAny<PgNamedStatementsOptions>>().type.toBe<false>()
  expect<LeaksAny<NamingPgPool>>().type.toBe<false>()
  expect<LeaksAny<NamingPgClient>>().type.toBe<false>()
  expect<LeaksAny<NamedQueryConfig>>().type.toBe<false>()
})

test('every type a public function takes or returns can be named from the package root', () => {
  expect<Parameters<typeof api.djangoSigner>[0]>().type.toBe<DjangoSignerOptions>()
  expect(api.createPasswordPolicy()).type.toBe<PasswordPolicy>()
  expect<Parameters<PasswordPolicy['check']>[1]>().type.toBe<PasswordUser>()
  expect<KyselyUsersOptions['columns']>().type.toBe<KyselyUsersColumns | undefined>()
  expect<KyselyUsersOptions['loginFields']>().type.toBe<readonly LoginField[] | undefined>()
  expect<PasswordOptions['breached']>().type.toBe<boolean | BreachedPasswordOptions | undefined>()
  expect<Parameters<typeof api.sqliteStatementCache>>().type.toBe<[database: CacheableSqliteDatabase, options?: SqliteStatementCacheOptions]>()
  expect<Parameters<typeof api.pgNamedStatements>>().type.toBe<[pool: NamingPgPool, options?: PgNamedStatementsOptions]>()
  expect<ReturnType<CacheableSqliteDatabase['prepare']>>().type.toBe<CacheableSqliteStatement>()
  expect<NamingPgClient['query']>().type.toBeCallableWith({ name: 'n', text: 'select $1' } satisfies NamedQueryConfig, [1])
})

test('the plugin is an async Fastify plugin over its options', () => {
  expect(resetPassword).type.toBe<FastifyPluginAsync<ResetPasswordOptions>>()
  expect(api.hashPassword).type.toBe<(password: string, params?: ScryptParams) => Promise<string>>()
  expect(api.verifyPassword).type.toBe<(password: string, hash: string) => Promise<boolean>>()
  expect(api.hmacSigner).type.toBe<(secrets: readonly string[]) => SignerFactory>()
})
