import type { ResetPasswordUser } from '../users/adapter.js'

/** The part of a user a link signature depends on. */
export type SignedUser = Pick<ResetPasswordUser, 'id' | 'email' | 'passwordHash'>

/**
 * Computes and checks the signature of a reset link. Age is not its concern: the plugin checks
 * the timestamp after the signature is proven, in one place, whichever signer is used.
 */
export interface LinkSigner {
  /** The signature for `user` at `timestamp` (UNIX seconds), with the first (current) key. */
  sign (user: SignedUser, timestamp: number): string
  /**
   * Whether `signature` is valid for `user` and `timestamp` under any configured key.
   * Must return false, never throw, for a signature of the wrong length or alphabet.
   */
  verify (user: SignedUser, timestamp: number, signature: string): boolean
}

/** Builds a signer once the plugin's options are known. */
export type SignerFactory = (settings: { readonly oneTimeUse: boolean }) => LinkSigner
