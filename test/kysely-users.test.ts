import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { CompiledQuery, Kysely, SqliteDialect, sql } from 'kysely'
import type { CreateTableBuilder, Generated, KyselyPlugin, RootOperationNode } from 'kysely'
import t from 'tap'
import type { Test } from 'tap'
import { kyselyUsers } from '../lib/users/kysely.js'
import type { KyselyUsersOptions } from '../lib/users/kysely.js'
import type { UserAdapter } from '../lib/users/adapter.js'
import { createUsersTable, dialects, insertUser, openDatabase } from './helpers/db.js'
import type { DialectName, TestDB } from './helpers/db.js'

type NewUser = Parameters<typeof insertUser>[2]
type PerDialect<T> = Readonly<Record<DialectName, T>>

const everywhere: PerDialect<boolean> = { sqlite: true, postgres: true, mariadb: true }
const nowhere: PerDialect<boolean> = { sqlite: false, postgres: false, mariadb: false }

// Expected per dialect for PostgreSQL in a UTF-8 locale (with LC_CTYPE=C its lower() is ASCII-only,
// like SQLite's) and the utf8mb4_general_ci collation that createUsersTable gives MariaDB tables.
const caseVariants: ReadonlyArray<{ stored: string, typed: string, found: PerDialect<boolean>, why: string }> = [
  { stored: 'Émile@example.com', typed: 'ÉMILE@EXAMPLE.COM', found: everywhere, why: 'only ASCII letters change case' },
  { stored: 'Émile@example.com', typed: 'émile@example.com', found: { ...everywhere, sqlite: false }, why: "SQLite's lower() folds ASCII only" },
  { stored: 'Straße@example.com', typed: 'STRAẞE@EXAMPLE.COM', found: { ...nowhere, postgres: true }, why: 'only PostgreSQL lowers ẞ (U+1E9E) to ß' },
  { stored: 'ὈΔΥΣΣΕΎΣ@example.com', typed: 'ὀδυσσεύς@example.com', found: { ...nowhere, mariadb: true }, why: 'PostgreSQL lowers a final Σ to σ, not ς' },
  { stored: 'Straße@example.com', typed: 'STRASSE@EXAMPLE.COM', found: nowhere, why: 'case folding says equal, but lower() differs and SQL narrows first, as in Django' }
]

// Addresses that differ from mike@example.com / Émile@example.com, and which database says equal.
const lookAlikes: ReadonlyArray<{ stored: string, typed: string, sqlMatches: PerDialect<boolean> }> = [
  { stored: 'mike@example.com', typed: 'mıke@example.com', sqlMatches: { ...nowhere, mariadb: true } },
  { stored: 'mike@example.com', typed: 'MİKE@example.com', sqlMatches: { ...nowhere, postgres: true, mariadb: true } },
  { stored: 'mike@example.com', typed: 'mike@example.com ', sqlMatches: { ...nowhere, mariadb: true } },
  { stored: 'Émile@example.com', typed: 'emile@example.com', sqlMatches: { ...nowhere, mariadb: true } }
]

const malformedIds = ['abc', '12abc', '-1', '', '1e3', ' 1', '1 ', '01', '+1', '1.0', '0x1', '١', '1'.repeat(40)]

const oddLogins = [
  '', ' ', '\u0000', 'a\u0000b@example.com', '\ud800', 'x\udfff@example.com', '😀@example.com', 'x'.repeat(254),
  'é'.repeat(254), '\u202eexample.com', "' or 1=1 --", '%', '_', '\\', 'İ', 'ß', 'ǅ', '\u0301'
]

function uniqueName (prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
}

/** A table built by the test itself, dropped when `t` ends. */
async function customTable (
  t: Test,
  db: Kysely<TestDB>,
  prefix: string,
  build: (table: CreateTableBuilder<string, never>) => CreateTableBuilder<string, string>
): Promise<string> {
  const table = uniqueName(prefix)
  await build(db.schema.createTable(table)).execute()
  t.teardown(async () => { await db.schema.dropTable(table).execute() })
  return table
}

for (const dialect of dialects) {
  t.test(dialect, async t => {
    const db = await openDatabase(t, dialect)
    if (db === null) return

    /** A fresh users table holding `rows`, an adapter over it, and the new ids in order. */
    const seed = async (rows: readonly NewUser[], options: KyselyUsersOptions = {}) => {
      const table = await createUsersTable(db, dialect)
      const ids: string[] = []
      for (const row of rows) ids.push(await insertUser(db, table, row))
      return { table, ids, users: kyselyUsers(db, { table, ...options }) }
    }

    t.test('a username finds its user', async t => {
      const { ids: [id], users } = await seed([{ username: 'mike', email: 'mike@example.com', passwordHash: 'h1' }])
      t.same(await users.findByLogin('mike'), [
        { id, username: 'mike', email: 'mike@example.com', passwordHash: 'h1', isActive: true }
      ])
    })

    t.test('a username matches exactly, even where the collation ignores case and trailing spaces', async t => {
      const { table, users } = await seed([{ username: 'mike' }])
      for (const typed of ['MIKE', 'Mike', 'mike ', ' mike', 'mîke']) {
        t.same(await users.findByLogin(typed), [], typed)
        const raw = await db.selectFrom(table).select('id').where('username', '=', typed).execute()
        t.equal(raw.length > 0, dialect === 'mariadb' && typed !== ' mike', `${typed}: what the collation alone says`)
      }
    })

    t.test('an e-mail finds its user in any ASCII case', async t => {
      const { ids: [alice, bob], users } = await seed([{ email: 'alice@example.com' }, { email: 'Bob@Example.COM' }])
      t.same((await users.findByLogin('ALICE@Example.com')).map(u => u.id), [alice])
      t.same((await users.findByLogin('bob@example.com')).map(u => u.id), [bob])
      t.same(await users.findByLogin('carol@example.com'), [])
    })

    t.test('a non-ASCII case variant of an e-mail is found only where the database lowers it', async t => {
      for (const { stored, typed, found, why } of caseVariants) {
        const { users } = await seed([{ email: stored }])
        t.equal((await users.findByLogin(typed)).length, found[dialect] ? 1 : 0, `${stored} ← ${typed}: ${why}`)
      }
    })

    t.test('a look-alike e-mail never matches, even where the database calls it equal', async t => {
      for (const { stored, typed, sqlMatches } of lookAlikes) {
        const { table, users } = await seed([{ email: stored }])
        t.same(await users.findByLogin(typed), [], typed)
        const raw = await db.selectFrom(table).select('id')
          .where(eb => eb(eb.fn('lower', [eb.ref('email')]), '=', eb.fn('lower', [eb.val(typed)]))).execute()
        t.equal(raw.length, sqlMatches[dialect] ? 1 : 0, `${typed}: what lower() and the collation alone say`)
      }
    })

    t.test('login fields are tried in order and the first with matches wins', async t => {
      const rows = [{ username: 'shared@example.com' }, { email: 'shared@example.com' }]
      const { table, ids: [byUsername, byEmail] } = await seed(rows)
      const find = async (loginFields: KyselyUsersOptions['loginFields']) =>
        (await kyselyUsers(db, { table, loginFields }).findByLogin('shared@example.com')).map(u => u.id)
      t.same(await find(undefined), [byUsername])
      t.same(await find(['email', 'username']), [byEmail])
      t.same(await find(['email']), [byEmail])
      t.same(await find(['username']), [byUsername])
    })

    t.test('a duplicated e-mail returns every user that has it', async t => {
      const { ids, users } = await seed([{ email: 'dup@example.com' }, { email: 'DUP@example.com' }, { email: 'other@example.com' }])
      t.same((await users.findByLogin('Dup@Example.com')).map(u => u.id), ids.slice(0, 2))
    })

    t.test('inactive users are returned with isActive false', async t => {
      const { ids: [id], users } = await seed([{ username: 'gone', email: 'gone@example.com', isActive: false }])
      t.match(await users.findByLogin('gone'), [{ id, isActive: false }])
      t.match(await users.findByLogin('gone@example.com'), [{ id, isActive: false }])
      t.match(await users.findById(id!), { id, isActive: false })
    })

    t.test('findById returns the user with its id as a string', async t => {
      const { ids: [, id], users } = await seed([{ username: 'first' }, { username: 'second', email: 's@example.com', passwordHash: 'h2' }])
      t.equal(id, '2')
      t.same(await users.findById('2'), { id: '2', username: 'second', email: 's@example.com', passwordHash: 'h2', isActive: true })
      t.equal(await users.findById('3'), null)
      t.equal(await users.findById('0'), null)
    })

    t.test('findById returns null for a malformed or out-of-range id', async t => {
      const { users } = await seed([{ username: 'someone' }])
      // '12abc' would find id 12 on MariaDB and make PostgreSQL throw, were it ever sent.
      for (const id of malformedIds) t.equal(await users.findById(id), null, JSON.stringify(id))
      // Beyond PostgreSQL's int4 but valid decimal: compared as literals, so nothing throws.
      for (const id of ['2147483648', '99999999999', '9'.repeat(18)]) t.equal(await users.findById(id), null, id)
    })

    t.test('replacePasswordHash swaps the hash only while it is the expected one', async t => {
      const { ids: [id, other], users } = await seed([{ username: 'a', passwordHash: 'old' }, { username: 'b', passwordHash: 'old' }])
      t.equal(await users.replacePasswordHash(id!, 'old', 'new'), true)
      t.equal(await users.replacePasswordHash(id!, 'old', 'newer'), false, 'the expected hash is stale')
      t.equal(await users.replacePasswordHash('999999', 'old', 'new'), false, 'unknown id')
      t.equal(await users.replacePasswordHash('abc', 'old', 'new'), false, 'malformed id')
      t.equal(await users.replacePasswordHash('2147483648', 'old', 'new'), false, 'an id beyond int4, compared as a literal')
      t.equal((await users.findById(id!))?.passwordHash, 'new')
      t.equal((await users.findById(other!))?.passwordHash, 'old', 'other rows are untouched')
    })

    t.test('odd logins and ids never throw', async t => {
      const { users } = await seed([{ username: 'mike', email: 'mike@example.com' }])
      for (const login of oddLogins) {
        t.same(await users.findByLogin(login), [], JSON.stringify(login))
        t.equal(await users.findById(login), null, JSON.stringify(login))
      }
      await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 254 }), async input => {
        await users.findByLogin(input)
        await users.findById(input)
      }), { numRuns: 100 })
    })

    t.test('a table without username and is_active columns works through columns', async t => {
      const table = await customTable(t, db, 'members', b => b
        .addColumn('id', 'integer', col => col.primaryKey())
        .addColumn('email', 'varchar(254)')
        .addColumn('password_hash', 'varchar(255)', col => col.notNull()))
      await sql`insert into ${sql.table(table)} (id, email, password_hash) values (7, 'carol@example.com', 'h')`.execute(db)
      const users = kyselyUsers(db, { table, columns: { username: null, isActive: null } })
      const carol = { id: '7', username: null, email: 'carol@example.com', passwordHash: 'h', isActive: true }
      t.same(await users.findByLogin('Carol@example.com'), [carol])
      t.same(await users.findByLogin('carol'), [])
      t.same(await users.findById('7'), carol)
    })

    t.test('a renamed table and columns work, with string ids matched exactly', async t => {
      const table = await customTable(t, db, 'accounts', b => b
        .addColumn('uid', 'varchar(64)', col => col.primaryKey())
        .addColumn('login', 'varchar(150)')
        .addColumn('mail', 'varchar(254)')
        .addColumn('pw', 'varchar(255)', col => col.notNull())
        .addColumn('enabled', 'boolean', col => col.notNull()))
      await sql`insert into ${sql.table(table)} (uid, login, mail, pw, enabled)
        values ('u-1', 'ann', 'ann@example.com', 'h1', ${1}), ('u-2', 'ben', null, 'h2', ${0})`.execute(db)
      const users = kyselyUsers(db, {
        table,
        idType: 'string',
        columns: { id: 'uid', username: 'login', email: 'mail', passwordHash: 'pw', isActive: 'enabled' }
      })
      const ann = { id: 'u-1', username: 'ann', email: 'ann@example.com', passwordHash: 'h1', isActive: true }
      t.same(await users.findByLogin('ann'), [ann])
      t.same(await users.findByLogin('ANN@example.com'), [ann])
      t.same(await users.findById('u-1'), ann)
      t.same(await users.findById('u-2'), { id: 'u-2', username: 'ben', email: null, passwordHash: 'h2', isActive: false })
      for (const id of ['U-1', 'u-1 ', 'u-3', '', 'u-1\u0000']) t.equal(await users.findById(id), null, JSON.stringify(id))
      t.equal(await users.replacePasswordHash('u-1\u0000', 'h1', 'h3'), false)
      t.equal(await users.replacePasswordHash('u-1', 'h1', 'h3'), true)
      t.equal((await users.findById('u-1'))?.passwordHash, 'h3')
    })

    t.test('accounts sharing an address come once each, in id order, numeric text ids as numbers', async t => {
      const table = await customTable(t, db, 'shared', b => b
        .addColumn('uid', 'varchar(64)', col => col.primaryKey())
        .addColumn('login', 'varchar(150)')
        .addColumn('mail', 'varchar(254)')
        .addColumn('pw', 'varchar(255)', col => col.notNull()))
      // '010' and '10' are one number: their order is the database's, either is fine.
      await sql`insert into ${sql.table(table)} (uid, login, mail, pw)
        values ('10', null, 'team@example.com', 'h'), ('9', 'team@example.com', 'team@example.com', 'h'),
               ('b', null, 'team@example.com', 'h'), ('a', null, 'team@example.com', 'h'), ('010', null, 'team@example.com', 'h')`.execute(db)
      const users = kyselyUsers(db, { table, idType: 'string', columns: { id: 'uid', username: 'login', email: 'mail', passwordHash: 'pw', isActive: null } })
      t.same((await users.findByLogin('team@example.com')).map(u => u.id), ['9'], 'the username wins, and its user comes once though the address matches too')
      const ids = (await kyselyUsers(db, { table, idType: 'string', loginFields: ['email'], columns: { id: 'uid', username: 'login', email: 'mail', passwordHash: 'pw', isActive: null } })
        .findByLogin('TEAM@example.com')).map(u => u.id)
      t.same(ids.slice(0, 1), ['9'])
      t.same(new Set(ids.slice(1, 3)), new Set(['10', '010']))
      t.same(ids.slice(3), ['a', 'b'])
    })

    if (dialect !== 'mariadb') {
      t.test('the e-mail lookup can use an index on lower(email)', async t => {
        const { table } = await seed([{ email: 'alice@example.com' }])
        const [query] = await capture(db, users => users.findByLogin('Alice@example.com'), { table, loginFields: ['email'] })
        t.match(await explain(db, dialect, query!), `${table}_lower_email`)
      })
    }

    // With sqlite_stat4 (ANALYZE, PRAGMA optimize), SQLite compiles a statement again on every run that
    // binds a value its planner could estimate with them; a scalar subquery hides the value. The others
    // get the plain parameter: the subquery would only change their plans.
    t.test('on SQLite alone, the login reaches the lookup through a scalar subquery, out of the planner\'s sight', async t => {
      const { table } = await seed([{ email: 'alice@example.com' }])
      // Each branch of the union passes the plugins too: the query wanted is the whole union.
      const query = (await capture(db, users => users.findByLogin('alice@example.com'), { table })).find(q => q.sql.includes('union all'))
      const hidden = query!.sql.match(/\(select (\?|\$\d)\)/g) ?? []
      t.equal(hidden.length, dialect === 'sqlite' ? query!.parameters.length : 0, 'every parameter on SQLite, none elsewhere')
      // Elsewhere one parameter per login field; SQLite's e-mail branch has its stand-in's too.
      t.ok(dialect === 'sqlite' ? query!.parameters.length > 2 : query!.parameters.length === 2)
    })

    if (dialect !== 'mariadb') {
      // The time of a found row's read told an existing login from an unknown one (SECURITY.md, Timing).
      t.test('on SQLite and PostgreSQL every login reads one user row, a stand-in when nobody has it, and finds only its own', async t => {
        const { table, ids: [ann, bob] } = await seed([{ username: 'ann', email: 'ann@example.com' }, { username: 'bob', email: 'bob@example.com' }])
        const cases: ReadonlyArray<[KyselyUsersOptions['loginFields'], string, string[]]> = [
          [undefined, 'ann', [ann!]],
          [undefined, 'ANN@example.com', [ann!]],
          [undefined, 'carol@example.com', []],
          [undefined, 'carol', []],
          [undefined, 'azure@example.com', []],
          // Past the last address SQLite's stand-in is the last one.
          [undefined, 'zed@example.com', []],
          [['email'], 'bob@example.com', [bob!]],
          [['email'], 'bob', []],
          [['email', 'username'], 'bob', [bob!]]
        ]
        for (const [loginFields, login, expected] of cases) {
          let read = 0
          const counter: KyselyPlugin = {
            transformQuery: ({ node }) => node,
            async transformResult ({ result }) { read += result.rows.length; return result }
          }
          const found = await kyselyUsers(db.withPlugin(counter), { table, loginFields }).findByLogin(login)
          t.same(found.map(u => u.id), expected, `${login} finds ${expected.length === 0 ? 'nobody' : 'its user'}`)
          t.equal(read, 1, `${login}, with ${String(loginFields ?? 'the default fields')}: one row read`)
        }
      })

      t.test('an empty table, and users without an address or a username, give no stand-in back', async t => {
        const { users: empty } = await seed([])
        t.same(await empty.findByLogin('ann@example.com'), [])
        const { table, ids: [nameless] } = await seed([{ username: null, email: 'noname@example.com' }, { username: 'mailless', email: null }])
        t.same(await kyselyUsers(db, { table }).findByLogin('nobody@example.com'), [])
        t.same((await kyselyUsers(db, { table }).findByLogin('NONAME@example.com')).map(u => [u.id, u.username]), [[nameless, null]])
        t.same((await kyselyUsers(db, { table }).findByLogin('mailless')).map(u => u.email), [null])
      })
    }

    if (dialect === 'postgres') {
      // Reading the stand-in for a found login too would make it the slower one.
      t.test('on PostgreSQL the stand-in row is read only when no user has the login', async t => {
        const { table } = await seed([{ username: 'ann', email: 'ann@example.com' }])
        // The branches pass the plugins too: the query wanted is the whole statement.
        const query = (await capture(db, users => users.findByLogin('ann@example.com'), { table })).find(q => q.sql.includes('lateral'))
        const plan = async (login: string): Promise<string> => {
          const { rows } = await db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(
            `explain (analyze, costs off, timing off) ${query!.sql}`, query!.parameters.map(() => login)))
          // The table's scan: the node that reads the stand-in, the only one that is not an index's.
          return rows.map(row => row['QUERY PLAN']).find(line => line.includes('Seq Scan')) ?? 'no scan in the plan'
        }
        t.match(await plan('ann@example.com'), /never executed/, 'an address on file')
        t.match(await plan('ann'), /never executed/, 'a username on file')
        t.match(await plan('carol@example.com'), /actual rows=1 loops=1/, 'an unknown login')
      })
    }
  })
}

/** The SQL that `run` sends through an adapter over `db`. */
async function capture (
  db: Kysely<TestDB>,
  run: (users: UserAdapter) => Promise<unknown>,
  options: KyselyUsersOptions
): Promise<CompiledQuery[]> {
  const queries: CompiledQuery[] = []
  const recorder: KyselyPlugin = {
    transformQuery ({ node, queryId }): RootOperationNode {
      queries.push(db.getExecutor().compileQuery(node, queryId))
      return node
    },
    async transformResult ({ result }) { return result }
  }
  await run(kyselyUsers(db.withPlugin(recorder), options))
  return queries
}

/** The query plan of `query`, as one string. PostgreSQL is told to avoid scans, as tables here are tiny. */
async function explain (db: Kysely<TestDB>, dialect: DialectName, query: CompiledQuery): Promise<string> {
  if (dialect === 'sqlite') {
    const { rows } = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]))
    return rows.map(row => row.detail).join('\n')
  }
  return await db.transaction().execute(async trx => {
    await sql`set local enable_seqscan = off`.execute(trx)
    const { rows } = await trx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]))
    return rows.map(row => row['QUERY PLAN']).join('\n')
  })
}

t.test('kyselyUsers accepts an app\'s own typed Kysely instance', async t => {
  interface AppDB {
    auth_user: { id: Generated<number>, email: string, password: string }
  }
  const db = new Kysely<AppDB>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) })
  t.teardown(async () => { await db.destroy() })
  await db.schema.createTable('auth_user')
    .addColumn('id', 'integer', col => col.primaryKey())
    .addColumn('email', 'varchar(254)')
    .addColumn('password', 'varchar(255)', col => col.notNull())
    .execute()
  await db.insertInto('auth_user').values({ email: 'dora@example.com', password: 'h' }).execute()
  const users: UserAdapter = kyselyUsers(db, { table: 'auth_user', columns: { username: null, isActive: null, passwordHash: 'password' } })
  t.match(await users.findByLogin('dora@example.com'), [{ id: '1', passwordHash: 'h' }])
  // @ts-expect-error 'phone' is not a login field
  t.throws(() => kyselyUsers(db, { loginFields: ['phone'] }))
})

t.test('ids beyond 2^53 keep every digit when the driver returns bigints', async t => {
  const database = new Database(':memory:')
  database.defaultSafeIntegers(true)
  const db = new Kysely<TestDB>({ dialect: new SqliteDialect({ database }) })
  t.teardown(async () => { await db.destroy() })
  await sql`create table users (id integer primary key, username text, email text, password_hash text not null, is_active boolean not null)`.execute(db)
  await sql`insert into users values (9007199254740993, 'big', 'big@example.com', 'h', 1)`.execute(db)
  t.equal(await kyselyUsers(db).replacePasswordHash('9007199254740993', 'h', 'h2'), true)
  t.equal(await kyselyUsers(db).replacePasswordHash('9007199254740993', 'h', 'h3'), false)
  await kyselyUsers(db).replacePasswordHash('9007199254740993', 'h2', 'h')
  t.same(await kyselyUsers(db).findById('9007199254740993'), {
    id: '9007199254740993', username: 'big', email: 'big@example.com', passwordHash: 'h', isActive: true
  })
  // SQLite's lookup flags its stand-in row with an integer, which then arrives as a bigint too.
  t.same((await kyselyUsers(db).findByLogin('BIG@example.com')).map(u => u.id), ['9007199254740993'])
  t.same(await kyselyUsers(db).findByLogin('small@example.com'), [])
})

t.test('kyselyUsers rejects invalid options with a TypeError naming the option', async t => {
  const db = new Kysely<TestDB>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) })
  t.teardown(async () => { await db.destroy() })
  const cases: ReadonlyArray<readonly [string, unknown]> = [
    ['options', null],
    ['options', 'users'],
    ['tabel', { tabel: 'users' }],
    ['table', { table: '' }],
    ['table', { table: 42 }],
    ['columns', { columns: null }],
    ['columns.password', { columns: { password: 'pw' } }],
    ['columns.id', { columns: { id: '' } }],
    ['columns.email', { columns: { email: null } }],
    ['columns.passwordHash', { columns: { passwordHash: 7 } }],
    ['columns.username', { columns: { username: '' } }],
    ['columns.isActive', { columns: { isActive: false } }],
    ['idType', { idType: 'uuid' }],
    ['loginFields', { loginFields: [] }],
    ['loginFields', { loginFields: 'email' }],
    ['loginFields', { loginFields: ['phone'] }],
    ['loginFields', { loginFields: ['email', 'email'] }],
    ['loginFields', { columns: { username: null }, loginFields: ['email', 'username'] }]
  ]
  for (const [option, options] of cases) {
    const error = t.throws(() => kyselyUsers(db, options as KyselyUsersOptions), {
      code: 'FST_RESET_PASSWORD_INVALID_OPTION',
      message: `option "${option}"`
    }, option)
    t.ok(error instanceof TypeError, `${option}: a TypeError`)
  }
  t.doesNotThrow(() => kyselyUsers(db, { columns: { username: undefined, isActive: undefined } }), 'undefined means the default')
})

t.test('the table helpers refuse a database that openDatabase did not open', async t => {
  const db = new Kysely<TestDB>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) })
  t.teardown(async () => { await db.destroy() })
  await t.rejects(createUsersTable(db, 'sqlite'), { message: 'openDatabase()' })
})
