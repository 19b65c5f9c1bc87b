import { createRequire } from 'node:module'
import Database from 'better-sqlite3'

// On another Node than the machine's (BENCH_NODE, see node.ts) the project's better-sqlite3 cannot
// load its addon, and node.ts names the package installed for that Node in BENCH_SQLITE_MODULE.
const other = process.env['BENCH_SQLITE_MODULE']
const Sqlite = other === undefined ? Database : createRequire(import.meta.url)(other) as typeof Database

/** Opens a SQLite file with the better-sqlite3 of the Node the benchmarks run on. */
export function openSqlite (file: string): Database.Database {
  return new Sqlite(file)
}
