/**
 * A user as the plugin sees it. Adapters map their own rows to this shape.
 */
export interface ResetPasswordUser {
  /** Primary key, as a string (integer keys are given in decimal). */
  readonly id: string
  /** Where mail goes; a user without one gets no mail. */
  readonly email: string | null
  /** Shown in mail and checked by the similarity rule; null when the store has no usernames. */
  readonly username: string | null
  /** The stored password hash, as the app's hasher wrote it. */
  readonly passwordHash: string
  /** Inactive users get no mail and cannot reset. */
  readonly isActive: boolean
}

/**
 * What the plugin needs from a user store. Implement it for any database or API.
 *
 * @example
 * ```ts
 * const users: UserAdapter = {
 *   async findByLogin (login) { return store.filter(u => u.email === login) },
 *   async findById (id) { return store.find(u => u.id === id) ?? null },
 *   async replacePasswordHash (id, expected, next) {
 *     const u = store.find(u => u.id === id && u.passwordHash === expected)
 *     if (u === undefined) return false
 *     u.passwordHash = next
 *     return true
 *   }
 * }
 * ```
 */
export interface UserAdapter {
  /**
   * Users whose login fields match `login` exactly as typed (the adapter decides which fields and how
   * e-mail case is folded). May include inactive users or users without e-mail: the plugin filters them.
   */
  findByLogin (login: string): Promise<readonly ResetPasswordUser[]>
  /** The user with this id, or null. `id` is untrusted input: never throw on a malformed one, return null. */
  findById (id: string): Promise<ResetPasswordUser | null>
  /**
   * Store `newHash` only if the stored hash is still `expectedHash` (compare-and-swap), in one statement.
   * Returns whether the row changed, so two requests with one link cannot both succeed.
   */
  replacePasswordHash (id: string, expectedHash: string, newHash: string): Promise<boolean>
}
