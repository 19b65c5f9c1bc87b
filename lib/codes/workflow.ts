import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Settings } from '../options.js'
import type { CodeSettings } from './options.js'
import type { ResetPasswordUser } from '../users/adapter.js'
import type { MailJob } from '../mail/queue.js'
import type { Workflow } from '../reset-password.js'
import { eligible, STAND_IN, type MailFlow } from '../mail/link-requests.js'
import { loginKey } from '../rate-limit.js'
import { addresser } from '../mail/compose.js'
import { fromStore } from '../store.js'
import { deriveCode } from './derive.js'
import { defaultCodeTemplate } from './template.js'
import { InvalidCodeError, InvalidSignatureError } from '../errors.js'

/** The code flow, beside the link: same user store, mail queue, password step and events. */
export interface CodeWorkflow {
  /** Queues a code to every active user with an e-mail address that `login` finds; returns whether there was one. */
  request (login: string, locale: string | undefined): Promise<boolean>
  /** Proves `code` for `login`, then resets the password as the link does; throws InvalidCodeError for any bad code. */
  reset (login: string, code: string, password: string, confirm: string | undefined, locale: string | undefined): Promise<void>
}

// Spaces and hyphens a person may type between groups of digits are not part of the code.
const SEPARATORS = /[\s-]/gu

function digest (value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

// Compared as digests of equal length, in constant time: a prefix that matches takes no longer than one that does not.
function sameCode (expected: string, given: string): boolean {
  return timingSafeEqual(digest(expected), digest(given))
}

export function createCodeWorkflow (settings: Settings, codes: CodeSettings, workflow: Workflow, log: FastifyBaseLogger): CodeWorkflow {
  const { users, store, mail } = settings
  const periodMs = codes.period * 1000
  const template = mail?.codeTemplate ?? defaultCodeTemplate
  const address = addresser(mail)
  const periodIndex = (): number => Math.floor(settings.now() / periodMs)

  // Store keys. A user id or a login's key comes last, so neither can shift into another field.
  // A login without an account has a mark of its own, `login:<its key>`: its rehearsed mail sets it and a
  // try reads it, as an account's mail and try do the account's, and no code ever opens it. So a wrong
  // code finds a mark whether or not the login has an account, if a code was asked for: a mark that is
  // there is a hit in the memory store's LRU, one that is not a plain miss, 3.4 to 3.6 µs apart inside
  // the server of `npm run bench:timing -- reset-with-code` when only an account could have one.
  const markKey = (holder: string, period: number): string => `code:mark:${period}:${holder}`
  const accountMarks = (user: ResetPasswordUser): string => `user:${user.id}`
  const loginMarks = (key: string): string => `login:${key}`
  // With a keyed digest of the password hash: a new password starts a new count, and the store learns nothing of the hash.
  // Logins without an account share one count, so guessing at them adds no keys to the store.
  // The digest is taken for a login without an account too, and thrown away: it was most of what made a
  // wrong code for an account answer later than one for no account (`npm run bench:timing -- reset-with-code`).
  const attemptsKey = (user: ResetPasswordUser | null, period: number): string => {
    const tag = createHmac('sha256', codes.key).update((user ?? STAND_IN).passwordHash).digest('base64url').slice(0, 22)
    return user === null ? `code:attempts:${period}:none` : `code:attempts:${period}:${tag}:user:${user.id}`
  }


  // Built off the request path, when the job leaves the queue: the mark, the HMAC and the template then cost
  // the reply nothing, and the rehearsal for a login without an account does the very same work.
  function job (user: ResetPasswordUser, marks: string, rehearsal: boolean, locale: string | undefined): MailJob {
    return {
      kind: 'code',
      user,
      rehearsal,
      build: async () => {
        const period = periodIndex()
        // Accepted in its own period and the next one, so a code sent a second before a period ends still works.
        const expiresAt = new Date((period + 2) * periodMs)
        await store.mark(markKey(marks, period), expiresAt.getTime() - settings.now())
        const code = deriveCode(codes.key, user, period, codes.digits)
        if (!rehearsal) workflow.events.emit('codeCreated', { user, code, expiresAt })
        return address(user.email as string, await template({ user, code, expiresAt, locale }))
      }
    }
  }

  /**
   * Whether `code` is the live code of `user` (null: the login has no account, and the same work is done).
   * Only the latest requested code is live: the one of this period if one was requested in it, else the
   * previous period's. Every try counts, before the comparison, so parallel guesses cannot overtake the count:
   * per account (maxAttempts a period) and, for tries at a live code, across all accounts (codes.guessBudget).
   */
  async function check (user: ResetPasswordUser | null, key: string, code: string, period: number): Promise<boolean> {
    const marks = user === null ? loginMarks(key) : accountMarks(user)
    const [current, previous] = await Promise.all([store.has(markKey(marks, period)), store.has(markKey(marks, period - 1))])
    const attempts = await store.hit(attemptsKey(user, period), periodMs)
    const open = user !== null && (current || previous) && attempts <= codes.maxAttempts
    const guesses = await store.hit(`code:${open ? 'guesses' : 'idle'}:${period}`, periodMs)
    const expected = deriveCode(codes.key, user ?? STAND_IN, current ? period : period - 1, codes.digits)
    return sameCode(expected, code) && open && guesses <= codes.guessBudget
  }

  const codeMail: MailFlow = {
    job: (user, locale) => job(user, accountMarks(user), false, locale),
    rehearsal: (locale, key) => job(STAND_IN, loginMarks(key), true, locale)
  }

  return {
    async request (login, locale) {
      return await workflow.requestMail(login, locale, codeMail)
    },
    async reset (login, code, password, confirm, locale) {
      // Every login's key, before the lookup, as send-link does (lib/mail/link-requests.ts): only a login
      // without an account reads its mark by it.
      const key = loginKey(login)
      const found = (await fromStore(log, settings.storeTimeout, () => users.findByLogin(login))).filter(eligible)
      const given = code.replace(SEPARATORS, '')
      const period = periodIndex()
      // A login may find several accounts (a username of one, the e-mail of another): the code must be one of theirs.
      let user: ResetPasswordUser | null = null
      for (const candidate of found.length > 0 ? found : [null]) {
        if (await fromStore(log, settings.storeTimeout, () => check(candidate, key, given, period), 'the shared store')) {
          user = candidate
          break
        }
      }
      if (user === null) throw new InvalidCodeError()
      try {
        await workflow.reset(user, password, confirm, locale)
      } catch (err) {
        // The compare-and-swap lost: the password changed since the code was checked, so the code is used.
        throw err instanceof InvalidSignatureError ? new InvalidCodeError() : err
      }
    }
  }
}
