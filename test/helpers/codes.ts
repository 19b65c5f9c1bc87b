import type { LightMyRequestResponse } from 'fastify'
import type { TestApp } from './app.js'
import type { ReceivedMail } from './smtp.js'

/** The code of a code mail: the one line of its text that is only digits. */
export function codeFrom (mail: ReceivedMail): string {
  const lines = mail.text.split('\n').filter((line) => /^[0-9]{6,10}$/.test(line))
  if (lines.length !== 1) throw new Error(`expected one code line in the mail, found ${lines.length}`)
  return lines[0] as string
}

/** Asks for a code for `login` over HTTP and returns it from the mail that arrived. */
export async function mailedCode (h: TestApp, login: string): Promise<string> {
  const before = h.sink.mails.length
  const res = await h.post('send-reset-password-code', { login })
  if (res.statusCode !== 200) throw new Error(`send-reset-password-code answered ${res.statusCode}`)
  // Other mail (a password-changed notice) may arrive in between: take the first that holds a code.
  for (let count = before + 1; ; count++) {
    const mail = (await h.sink.waitForMails(count)).slice(before).find((m) => m.subject === 'Your password reset code')
    if (mail !== undefined) return codeFrom(mail)
  }
}

/** POSTs to reset-password-with-code. */
export async function resetWithCode (h: TestApp, login: string, code: string, password: string, remoteAddress?: string): Promise<LightMyRequestResponse> {
  return await h.post('reset-password-with-code', { login, code, password }, {}, remoteAddress)
}

/** A code of `digits` digits that is not `code`. */
export function wrongCode (code: string): string {
  return code.slice(0, -1) + String((Number(code.at(-1)) + 1) % 10)
}
