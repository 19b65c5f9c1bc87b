/**
 * The little state the plugin keeps between requests (counters and marks), in one place so that
 * several instances of an app share it when Redis is configured, and each keeps its own otherwise.
 * Keys are the plugin's own (hashed logins, account ids); values never hold a secret.
 */
export interface SharedStore {
  /** Whether the state is shared between instances (Redis) or kept by this one alone (memory). */
  readonly shared: boolean
  /** Adds one to `key` and returns the count; a count starts at 1 and is forgotten `windowMs` after its first hit. */
  hit (key: string, windowMs: number): Promise<number>
  /** Marks `key` for `ttlMs`. */
  mark (key: string, ttlMs: number): Promise<void>
  /** Whether `key` is marked (or counted) and not yet forgotten. */
  has (key: string): Promise<boolean>
  /** Forgets `key`. */
  delete (key: string): Promise<void>
}

/** Every key the plugin writes starts with this, in Redis as in memory. */
export const KEY_PREFIX = 'fastify-reset-password:'
