import type { FastifyRequest } from 'fastify'
import type { Settings } from '../options.js'
import type { Detail } from '../schemas.js'
import type { SendLinkInput } from '../handlers.js'
import { RESET } from '../handlers.js'
import type { CodeWorkflow } from './workflow.js'
import { CODE_SENT } from './schemas.js'
import { UserNotFoundError } from '../errors.js'

/** A reset-password-with-code body once its route validated it. */
export interface ResetWithCodeInput {
  readonly login: string
  readonly code: string
  readonly password: string
  readonly password_confirm?: string | undefined
}

export interface CodeHandlers {
  sendCode (request: FastifyRequest, body: SendLinkInput): Promise<Detail>
  resetWithCode (request: FastifyRequest, body: ResetWithCodeInput): Promise<Detail>
}

/** What the two code routes do once their body is valid: the same rules as send-link and reset-password. */
export function codeHandlers (settings: Settings, codes: CodeWorkflow): CodeHandlers {
  const locale = (request: FastifyRequest): string | undefined => settings.mail?.locale?.(request)
  return {
    async sendCode (request, { login }) {
      const found = await codes.request(login, locale(request))
      if (!found && settings.failWhenUserNotFound) throw new UserNotFoundError()
      return CODE_SENT
    },
    async resetWithCode (request, body) {
      await codes.reset(body.login, body.code, body.password, body.password_confirm, locale(request))
      return RESET
    }
  }
}
