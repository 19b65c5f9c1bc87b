import { readdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { codeBlocks, type CodeBlock } from './markdown.js'

/** The repository's root directory. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** README.md and every page under docs/, as paths relative to the root. */
export async function docFiles (): Promise<string[]> {
  const pages = (await readdir(join(root, 'docs'))).filter((name) => name.endsWith('.md')).sort()
  return ['README.md', ...pages.map((name) => `docs/${name}`)]
}

/** Every fenced code block of the README and the docs pages. */
export async function docBlocks (): Promise<CodeBlock[]> {
  const blocks: CodeBlock[] = []
  for (const file of await docFiles()) blocks.push(...await codeBlocks(file, join(root, file)))
  return blocks
}

/** The languages whose blocks show usage of the package, and are compiled. */
export const CHECKED_LANGS: ReadonlySet<string> = new Set(['ts', 'typescript', 'js', 'javascript'])
