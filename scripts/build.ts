// Builds the package: dist/ is the ES module build (`import`), dist/cjs/ the CommonJS one
// (`require`), for Node versions that cannot require() an ES module (20 before 20.19, 22 before 22.12).
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const lib = join(root, 'lib')
const dist = join(root, 'dist')
const cjs = join(dist, 'cjs')
const require = createRequire(import.meta.url)

// unicode-case-folding ships only an ES module, which the CommonJS build could not require() there.
// It is small and MIT-licensed, so the CommonJS build carries a CommonJS copy of it.
const VENDORED = 'unicode-case-folding'
const vendored = join(cjs, 'vendor', `${VENDORED}.js`)

const CJS_OPTIONS: ts.CompilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true }

function files (dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => join(entry.parentPath, entry.name))
}

function write (file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, text)
}

function specifier (from: string, to: string): string {
  const path = relative(dirname(from), to).replaceAll('\\', '/')
  return path.startsWith('.') ? path : `./${path}`
}

rmSync(dist, { recursive: true, force: true })

// The ES module build, type-checked, with the declarations both builds share.
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })

// The CommonJS build: the same sources, transpiled one by one (the ES module build checked them).
let usesVendored = false
for (const source of files(lib, '.ts')) {
  const target = join(cjs, relative(lib, source)).replace(/\.ts$/, '.js')
  const text = readFileSync(source, 'utf8')
  usesVendored ||= text.includes(`'${VENDORED}'`)
  const { outputText } = ts.transpileModule(text, {
    fileName: source,
    compilerOptions: CJS_OPTIONS,
    renamedDependencies: { [VENDORED]: specifier(target, vendored) }
  })
  write(target, outputText)
}
for (const declaration of files(dist, '.d.ts')) {
  if (declaration.startsWith(cjs)) continue
  const target = join(cjs, relative(dist, declaration))
  mkdirSync(dirname(target), { recursive: true })
  copyFileSync(declaration, target)
}
// The package is "type": "module"; this makes the files below dist/cjs CommonJS, for Node and TypeScript.
write(join(cjs, 'package.json'), '{ "type": "commonjs" }\n')

if (!usesVendored) throw new Error(`build: lib/ no longer imports ${VENDORED}; stop vendoring it`)
const entry = require.resolve(VENDORED)
const { version } = JSON.parse(readFileSync(join(dirname(entry), 'package.json'), 'utf8')) as { version: string }
const license = readFileSync(join(dirname(entry), 'LICENSE'), 'utf8').trim()
const { outputText } = ts.transpileModule(readFileSync(entry, 'utf8'), { compilerOptions: CJS_OPTIONS })
write(vendored, `/*! ${VENDORED} ${version}, converted to CommonJS.\n${license}\n*/\n${outputText}`)
