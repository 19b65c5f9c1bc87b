import type { TestApp, TestUser } from './app.js'
import { linkFrom } from './smtp.js'

/** Asks for a link for `login` over HTTP and returns its three parameters from the mail that arrived. */
export async function mailedLink (h: TestApp, login: string): Promise<{ user_id: string, timestamp: string, signature: string }> {
  const before = h.sink.mails.length
  const res = await h.post('send-reset-password-link', { login })
  if (res.statusCode !== 200) throw new Error(`send-reset-password-link answered ${res.statusCode}`)
  // Other mail (a password-changed notice) may arrive in between: take the first that holds a link.
  let mail
  for (let count = before + 1; mail === undefined; count++) {
    const mails = await h.sink.waitForMails(count)
    mail = mails.slice(before).find((m) => m.text.includes('signature='))
  }
  const link = linkFrom(mail)
  return {
    user_id: link.searchParams.get('user_id') ?? '',
    timestamp: link.searchParams.get('timestamp') ?? '',
    signature: link.searchParams.get('signature') ?? ''
  }
}

/** A user with an e-mail derived from the username. */
export async function userNamed (h: TestApp, username: string): Promise<TestUser> {
  return await h.addUser({ username, email: `${username}@example.com` })
}
