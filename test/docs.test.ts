import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import t from 'tap'
import ts from 'typescript'
import { sql } from 'kysely'
import { kyselyUsers } from '../lib/index.js'
import { openDatabase } from './helpers/db.js'
import { CHECKED_LANGS, docBlocks, docFiles, root } from './helpers/docs.js'
import type { CodeBlock } from './helpers/markdown.js'

// Each usage block of the docs is compiled as its own module, strictly, with 'fastify-reset-password' and its
// /bullmq subpath resolved to the sources: a block that no longer matches the API fails here, naming its file and line.
// The virtual files sit beside the docs, so 'fastify', 'kysely' and the rest resolve from node_modules.
const VIRTUAL_DIR = join(root, 'docs', '.checked')

interface Compiled {
  readonly program: ts.Program
  readonly files: ReadonlyMap<string, CodeBlock>
}

function virtualPath (block: CodeBlock): string {
  const typescript = block.lang === 'ts' || block.lang === 'typescript'
  // A block that calls require() is CommonJS; anything else is an ES module.
  const extension = typescript ? 'mts' : /\brequire\(/.test(block.code) ? 'cjs' : 'mjs'
  return join(VIRTUAL_DIR, `${block.file.replace(/[^\w]/g, '-')}-${block.line}.${extension}`)
}

function compile (blocks: readonly CodeBlock[]): Compiled {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')) } })
  const options: ts.CompilerOptions = {
    ...config?.options,
    noEmit: true,
    declaration: false,
    allowJs: true,
    checkJs: true,
    moduleDetection: ts.ModuleDetectionKind.Force,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: ['node'],
    paths: {
      'fastify-reset-password': [join(root, 'lib', 'index.ts')],
      'fastify-reset-password/bullmq': [join(root, 'lib', 'bullmq', 'index.ts')]
    }
  }
  const files = new Map(blocks.map((block) => [virtualPath(block), block]))
  const host = ts.createCompilerHost(options)
  const { getSourceFile, fileExists, readFile: read } = host
  host.fileExists = (file) => files.has(file) || fileExists.call(host, file)
  host.readFile = (file) => files.get(file)?.code ?? read.call(host, file)
  host.getSourceFile = (file, language, ...rest) => {
    const block = files.get(file)
    return block === undefined ? getSourceFile.call(host, file, language, ...rest) : ts.createSourceFile(file, block.code, language, true)
  }
  return { program: ts.createProgram([...files.keys()], options, host), files }
}

/** `file:line: message` for each diagnostic of one block, lines counted in the Markdown file. */
function problems (compiled: Compiled, path: string, block: CodeBlock): string[] {
  const source = compiled.program.getSourceFile(path)
  if (source === undefined) return [`${block.file}:${block.line}: the block was not compiled`]
  const diagnostics = [...compiled.program.getSyntacticDiagnostics(source), ...compiled.program.getSemanticDiagnostics(source)]
  return diagnostics.map((d) => {
    const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line
    return `${block.file}:${block.line + 1 + line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
  })
}

const blocks = await docBlocks()
const checked = blocks.filter((block) => CHECKED_LANGS.has(block.lang) && block.notChecked === undefined)
const compiled = compile(checked)
const text = new Map(await Promise.all((await docFiles()).map(async (file) => [file, await readFile(join(root, file), 'utf8')] as const)))
const allDocs = [...text.values()].join('\n')

t.test('every code block that shows usage compiles against the package', async (t) => {
  t.ok(checked.length >= 10, `${checked.length} blocks are checked`)
  for (const [path, block] of compiled.files) {
    t.same(problems(compiled, path, block), [], `${block.file}:${block.line} (${block.lang})`)
  }
})

t.test('every code block says its language, and a block left unchecked says why', async (t) => {
  for (const block of blocks) {
    t.not(block.lang, '', `${block.file}:${block.line} names a language`)
  }
  const unchecked = blocks.filter((block) => block.notChecked !== undefined)
  t.ok(unchecked.length <= 3, `few blocks are left unchecked: ${unchecked.map((b) => `${b.file}:${b.line}`).join(', ')}`)
})

// ---------------------------------------------------------------------------------------------
// Documented exactly where a reader looks: each export, option, event and error code.

const checker = compiled.program.getTypeChecker()
const index = compiled.program.getSourceFile(join(root, 'lib', 'index.ts'))

/** The names a module of the package exports; `lib/index.ts` unless another entry point is named. */
function exportNames (entry = index): string[] {
  const symbol = entry === undefined ? undefined : checker.getSymbolAtLocation(entry)
  if (symbol === undefined) throw new Error('an entry point of the package was not compiled with the docs')
  return checker.getExportsOfModule(symbol).map((s) => s.name).filter((name) => name !== 'default')
}

/** The property names of an exported interface of lib/index.ts. */
function propertiesOf (name: string): string[] {
  const symbol = index === undefined ? undefined : checker.getSymbolAtLocation(index)
  const exported = checker.getExportsOfModule(symbol as ts.Symbol).find((s) => s.name === name)
  if (exported === undefined) throw new Error(`lib/index.ts does not export ${name}`)
  return checker.getDeclaredTypeOfSymbol(checker.getAliasedSymbol(exported)).getProperties().map((p) => p.name)
}

/** The names in backticks that start the rows of the Markdown tables of a page. */
function tableRows (file: string): string[] {
  return [...(text.get(file) ?? '').matchAll(/^\| `([^`]+)` \|/gm)].map(([, name]) => name as string)
}

t.test('every export of the package root is documented', async (t) => {
  const names = exportNames()
  t.ok(names.length > 40, `${names.length} exports`)
  for (const name of names) {
    t.ok(new RegExp(`\`${name}[\`(<]`).test(allDocs), name)
  }
})

t.test('every export of fastify-reset-password/bullmq is documented', async (t) => {
  const names = exportNames(compiled.program.getSourceFile(join(root, 'lib', 'bullmq', 'index.ts')))
  t.ok(names.includes('bullmqProducer') && names.includes('bullmqWorker'), `${names.length} exports`)
  for (const name of names) {
    t.ok(new RegExp(`\`${name}[\`(<]`).test(allDocs), name)
  }
})

t.test('every option is a row of the options page', async (t) => {
  const rows = tableRows('docs/options.md')
  for (const name of propertiesOf('ResetPasswordOptions')) t.ok(rows.includes(name), name)
  for (const name of propertiesOf('PasswordOptions')) t.ok(rows.includes(name), `password.${name}`)
  for (const name of ['perIp', 'perLogin', 'perUser']) t.ok(rows.some((row) => row.endsWith(`.${name}`)), `rateLimit ${name}`)
})

t.test('every mail option and every event is a row of the mail page', async (t) => {
  const rows = tableRows('docs/mail-and-events.md')
  for (const name of propertiesOf('MailOptions')) t.ok(rows.includes(name), `mail.${name}`)
  for (const name of propertiesOf('ResetPasswordEvents')) t.ok(rows.includes(name), name)
  for (const kind of ['link', 'changed-notice', 'unknown-account-notice']) t.match(text.get('docs/mail-and-events.md'), `'${kind}'`, kind)
})

t.test('every user adapter option is a row of the user adapters page', async (t) => {
  const rows = tableRows('docs/user-adapters.md')
  for (const name of propertiesOf('KyselyUsersOptions')) t.ok(rows.includes(name), name)
})

t.test('every error code of the catalog is in the one error table, and no other code is named', async (t) => {
  const catalog = await readFile(join(root, 'lib', 'errors.ts'), 'utf8')
  const codes = new Set([...catalog.matchAll(/'(FST_RESET_PASSWORD_[A-Z_]+)'/g)].map(([, code]) => code as string))
  t.ok(codes.size >= 9, `${codes.size} codes`)
  const table = tableRows('docs/http-api.md')
  for (const code of codes) t.equal(table.filter((row) => row === code).length, 1, `${code} has one row`)
  for (const [file, page] of text) {
    for (const [code] of page.matchAll(/FST_RESET_PASSWORD_[A-Z_]+/g)) {
      // The body of an unexpected 500 carries this code; it is no error of the catalog (see the HTTP API page).
      if (code === 'FST_RESET_PASSWORD_INTERNAL') t.equal(file, 'docs/http-api.md', `${code} is explained only on the HTTP API page`)
      else t.ok(codes.has(code), `${file} names ${code}, which the catalog has`)
    }
    if (file !== 'docs/http-api.md') t.same(tableRows(file).filter((row) => row.startsWith('FST_')), [], `${file} has no table of error codes`)
  }
})

t.test('the README links to every docs page, and every relative link leads to a file', async (t) => {
  const files = await docFiles()
  for (const page of files.filter((file) => file.startsWith('docs/'))) t.match(text.get('README.md'), `](${page})`, page)
  for (const [file, page] of text) {
    for (const [, target] of page.matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)(?:#[^)]*)?\)/g)) {
      const path = join(root, file, '..', target as string)
      t.resolves(readFile(path), `${file} links to ${target as string}`)
    }
  }
})

// The README's CREATE TABLE for each server database, run as written (under a table name of the test's own).
const DDL = { postgres: '-- PostgreSQL', mariadb: '-- MySQL / MariaDB' } as const

for (const [dialect, heading] of Object.entries(DDL) as Array<[keyof typeof DDL, string]>) {
  t.test(`the README's table for ${dialect} is one the user adapter reads and updates`, async (t) => {
    const block = blocks.find((b) => b.file === 'README.md' && b.lang === 'sql' && b.code.startsWith(heading))
    if (block === undefined) throw new Error(`README.md has no sql block starting with "${heading}"`)
    const db = await openDatabase(t, dialect)
    if (db === null) return
    const table = `users_docs_${process.pid}_${randomBytes(4).toString('hex')}`
    t.teardown(async () => { await sql.raw(`drop table if exists ${table}`).execute(db) })
    for (const statement of block.code.replaceAll('users', table).split(';').filter((s) => s.trim() !== '')) {
      await sql.raw(statement).execute(db)
    }
    await sql.raw(`insert into ${table} (username, email, password_hash) values ('ada', 'Ada@Example.com', 'old-hash')`).execute(db)
    const users = kyselyUsers(db, { table })
    const [ada] = await users.findByLogin('ada@example.com')
    t.match(ada, { username: 'ada', email: 'Ada@Example.com', passwordHash: 'old-hash', isActive: true })
    t.equal(await users.replacePasswordHash(ada?.id ?? '', 'old-hash', 'new-hash'), true)
    t.equal((await users.findById(ada?.id ?? ''))?.passwordHash, 'new-hash')
  })
}
