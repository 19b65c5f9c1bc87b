/**
 * The bare route's one lookup (scenario 1, `bench/servers/baseline.ts`), which `bench/lookup.ts`
 * also times alone: the users of `table` whose lowered address is `login`, a placeholder as the
 * driver writes it. On SQLite the login goes in as `(select ?)`, as kyselyUsers passes it: the seeded
 * file has statistics (sqlite_stat4), and a bare `lower(?)` against the index made SQLite compile the
 * statement again on every call. Both paid that until the plugin stopped (28259b2) and the baseline with it.
 */
export function bareLookupSql (table: string, login: '(select ?)' | '$1'): string {
  return `select id, username, email, password_hash, is_active from ${table} where lower(email) = lower(${login})`
}
