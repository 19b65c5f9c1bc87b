import { hashPassword } from '../../lib/index.js'

/**
 * The hashers of the reset scenarios. `default` is what the plugin uses when no `password.hash` is
 * given (scrypt at the OWASP cost, ln=17 r=8 p=1); `cheap` is scrypt at ln=4, cheap enough that a
 * reset's time is the plugin's own work.
 */
export const hashers = {
  default: async (password: string): Promise<string> => await hashPassword(password),
  cheap: async (password: string): Promise<string> => await hashPassword(password, { ln: 4 })
} as const

export type HasherName = keyof typeof hashers

export function isHasherName (name: string): name is HasherName {
  return Object.hasOwn(hashers, name)
}
