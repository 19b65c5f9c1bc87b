import { hashPassword } from '../../lib/index.js'

// User i (1 to N) has username `user<i>` and address `user<i>@example.com`. Unknown logins are the
// same addresses at example.net: same length and shape, so only whether the user exists differs.

export const existingEmail = (i: number): string => `user${i}@example.com`
export const unknownEmail = (i: number): string => `user${i}@example.net`

/**
 * Existing addresses from the user half of `users` further on: the second kind of a control that
 * loads existing logins in both kinds of phase, so that neither kind warms the other's rows.
 */
export const existingEmailHalfOn = (users: number): ((i: number) => string) =>
  (i) => existingEmail((i - 1 + Math.floor(users / 2)) % users + 1)

/** The new password of every reset: it passes the default policy (not common, numeric or like the login). */
export const NEW_PASSWORD = 'Tr0ub4dor-and-a-staple'

let stored: Promise<string> | undefined

/**
 * The one stored hash all seeded users share, computed once with cheap scrypt parameters: hashing
 * 100,000 passwords at the real cost would take hours and measure nothing the benchmarks look at.
 */
export async function storedHash (): Promise<string> {
  stored ??= hashPassword('the-seeded-password', { ln: 4 })
  return await stored
}

/** Yields the request bodies of a load, `{ [field]: login(i) }` for users 1, 2, ... N, then 1 again. */
export function rotating (users: number, login: (i: number) => string, field = 'login'): () => string {
  let i = 0
  return () => {
    i = i % users + 1
    return JSON.stringify({ [field]: login(i) })
  }
}
