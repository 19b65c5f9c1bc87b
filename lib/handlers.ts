import type { FastifyRequest } from 'fastify'
import type { Settings } from './options.js'
import type { Workflow } from './reset-password.js'
import type { Detail, LinkValid } from './schemas.js'
import { UserNotFoundError } from './errors.js'

/** A send-link body once its route validated it. */
export interface SendLinkInput { readonly login: string }

/** A verify-reset-password-link body once its route validated it. */
export interface VerifyLinkInput {
  readonly user_id: string | number
  readonly timestamp: string | number
  readonly signature: string
}

/** A reset-password body once its route validated it. */
export interface ResetPasswordInput extends VerifyLinkInput {
  readonly password: string
  readonly password_confirm?: string | undefined
}

export const RESET: Detail = { detail: 'Reset password successful' }
export const LINK_VALID = 'Reset link is valid'

export interface Handlers {
  sendLink (request: FastifyRequest, body: SendLinkInput): Promise<Detail>
  resetPassword (request: FastifyRequest, body: ResetPasswordInput): Promise<Detail>
  verifyLink (body: VerifyLinkInput): Promise<LinkValid>
}

/**
 * What both routes do once their body is valid, shared by the plugin's own routes and the
 * django-rest-registration ones: they differ in parsing, validation and reply bodies only.
 */
export function handlers (settings: Settings, workflow: Workflow, sent: Detail): Handlers {
  const locale = (request: FastifyRequest): string | undefined => settings.mail?.locale?.(request)
  return {
    async sendLink (request, { login }) {
      const found = await workflow.requestLinks(login, locale(request))
      if (!found && settings.failWhenUserNotFound) throw new UserNotFoundError()
      return sent
    },
    async resetPassword (request, body) {
      const user = await workflow.verify(String(body.user_id), Number(body.timestamp), body.signature)
      await workflow.reset(user, body.password, body.password_confirm, locale(request))
      return RESET
    },
    // The same checks as resetPassword's first step, and nothing is written: the link still works afterwards.
    async verifyLink (body) {
      const timestamp = Number(body.timestamp)
      await workflow.verify(String(body.user_id), timestamp, body.signature)
      return { detail: LINK_VALID, expires_at: workflow.api.signer.expiresAt(timestamp).toISOString() }
    }
  }
}
