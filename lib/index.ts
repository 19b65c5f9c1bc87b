import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { resolveOptions, type ResetPasswordOptions } from './options.js'
import { createWorkflow, type ResetPassword } from './reset-password.js'
import { routes } from './routes.js'
import { drrRoutes } from './compat/drr-routes.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The password-reset plugin's signer, user adapter, events and `sendLink`. */
    resetPassword: ResetPassword
  }
}

const plugin: FastifyPluginAsync<ResetPasswordOptions> = async (fastify, options) => {
  const settings = resolveOptions(options)
  const workflow = createWorkflow(settings, fastify.log)
  fastify.decorate('resetPassword', workflow.api)
  fastify.addHook('onClose', async () => { await workflow.close() })
  // fastify-plugin makes the decorator reach the app, and so also ignores `prefix`: the routes take it here.
  await fastify.register(settings.compat === undefined ? routes : drrRoutes, { prefix: settings.prefix, settings, workflow })
}

/**
 * The password-reset workflow of django-rest-registration, for Fastify: `POST {prefix}/send-reset-password-link`
 * and `POST {prefix}/reset-password`, and with the `codes` option `POST {prefix}/send-reset-password-code` and
 * `POST {prefix}/reset-password-with-code`.
 *
 * @example
 * ```ts
 * await app.register(resetPassword, {
 *   prefix: '/api/v1/accounts',
 *   secret: process.env.RESET_SECRET,
 *   verificationUrl: 'https://frontend.example/reset-password/',
 *   users: kyselyUsers(db),
 *   mail: { transport: process.env.SMTP_URL, from: 'no-reply@example.com' }
 * })
 * ```
 */
const resetPassword = fp(plugin, { fastify: '5.x', name: 'fastify-reset-password' })
export default resetPassword

export type { ResetPasswordOptions, MailOptions, MailTransport, DeliverFunction, PasswordOptions } from './options.js'
export type { ResetPassword, SendLinkOptions } from './reset-password.js'
export type { ResetPasswordUser, UserAdapter } from './users/adapter.js'
export type { LinkSigner, SignedUser, SignerFactory } from './signer/signer.js'
export type { DjangoSignerOptions } from './signer/django.js'
export type { ResetLinks, ResetLinkParams, LinkStatus } from './link.js'
export type { ResetPasswordEvents, ResetPasswordListener, MailKind, MailFailureReason } from './events.js'
export type { CodeOptions } from './codes/options.js'
export type { CodeMailData, CodeTemplate } from './codes/template.js'
export type { MailMessage, MailContent, LinkMailData, NoticeMailData, UnknownAccountMailData, LinkTemplate, NoticeTemplate, UnknownAccountTemplate } from './mail/templates.js'
export type { QueueOptions, QueueStats } from './mail/queue.js'
export type { Producer, DurableJob, LinkRequestJob, ChangedNoticeJob } from './producer.js'
export type { RateLimitOptions, LimitRule } from './rate-limit.js'
export type { PasswordPolicy, PasswordPolicyOptions, PasswordReason, PasswordUser, PasswordValidator } from './password/policy.js'
export type { ScryptParams } from './password/hash.js'
export type { BreachedPasswordOptions } from './password/breached.js'
export type { KyselyUsersOptions, KyselyUsersColumns, LoginField } from './users/kysely.js'
export type { SqliteStatementCacheOptions, CacheableSqliteDatabase, CacheableSqliteStatement } from './drivers/sqlite-statement-cache.js'
export type { PgNamedStatementsOptions, NamingPgPool, NamingPgClient, NamedQueryConfig } from './drivers/pg-named-statements.js'
export { hmacSigner } from './signer/hmac.js'
export { djangoSigner } from './signer/django.js'
export { kyselyUsers } from './users/kysely.js'
export { sqliteStatementCache } from './drivers/sqlite-statement-cache.js'
export { pgNamedStatements } from './drivers/pg-named-statements.js'
export { hashPassword, verifyPassword } from './password/hash.js'
export { createPasswordPolicy } from './password/policy.js'
export { escapeHtml, defaultLinkTemplate, defaultChangedNotice, defaultUnknownAccountNotice } from './mail/templates.js'
export { defaultCodeTemplate } from './codes/template.js'
export * as errors from './errors.js'
