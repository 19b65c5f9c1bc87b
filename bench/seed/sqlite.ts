import { access, copyFile, mkdir, rename, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqlite } from '../open-sqlite.js'
import { benchFile } from '../processes.js'
import { storedHash } from './users.js'

const TEMPLATES = benchFile('results/db/')

const SCHEMA = `
  create table users (
    id integer primary key autoincrement,
    username varchar(150) not null unique,
    email varchar(254),
    password_hash varchar(255) not null,
    is_active integer not null default 1
  )`

// Part of the template's name: change it when the schema or the data changes, so no stale file is reused.
const SEED_VERSION = 1

const templates = new Map<number, Promise<string>>()

/**
 * A SQLite file with `users` users under bench/results/db/ (git-ignored), made once and kept for later
 * runs. One transaction and one prepared insert: about a second for 100,000 users. WAL with
 * synchronous=NORMAL, as a server using SQLite runs it: the default rollback journal would fsync
 * every password change. The index on lower(email) is the one the adapter's e-mail lookup uses.
 */
export async function sqliteTemplate (users: number): Promise<string> {
  let template = templates.get(users)
  if (template === undefined) {
    template = build(users)
    templates.set(users, template)
  }
  return await template
}

async function build (users: number): Promise<string> {
  await mkdir(TEMPLATES, { recursive: true })
  const template = join(TEMPLATES, `users-${users}-v${SEED_VERSION}.sqlite`)
  if (await exists(template)) return template
  // Made under a name of its own and renamed when complete: bench processes running at once
  // (the smoke test runs every scenario together) never see a half-made file.
  const file = `${template}.${process.pid}.tmp`
  const hash = await storedHash()
  const db = openSqlite(file)
  try {
    db.pragma('journal_mode = WAL')
    db.exec(SCHEMA)
    const insert = db.prepare('insert into users (username, email, password_hash) values (?, ?, ?)')
    db.transaction(() => {
      for (let i = 1; i <= users; i++) insert.run(`user${i}`, `user${i}@example.com`, hash)
    })()
    db.exec('create index users_lower_email on users (lower(email)); analyze')
  } finally {
    db.close()
  }
  await rename(file, template)
  return template
}

async function exists (file: string): Promise<boolean> {
  return await access(file).then(() => true, () => false)
}

let copies = 0

/** A private copy of the template for one server process; `remove` deletes it. */
export async function sqliteCopy (users: number): Promise<{ file: string, remove: () => Promise<void> }> {
  const file = join(tmpdir(), `fastify-reset-password-bench-${process.pid}-${copies++}.sqlite`)
  await copyFile(await sqliteTemplate(users), file)
  return { file, remove: async () => { await removeDatabase(file) } }
}

async function removeDatabase (file: string): Promise<void> {
  await Promise.all(['', '-wal', '-shm', '-journal'].map(async (suffix) => { await rm(file + suffix, { force: true }) }))
}
