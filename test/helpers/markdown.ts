import { readFile } from 'node:fs/promises'

/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The file, as given. */
  readonly file: string
  /** Line of the opening fence, 1-based. */
  readonly line: number
  /** The info string's first word, e.g. `ts`; `''` when there is none. */
  readonly lang: string
  /** The code, without the fences and without the indentation of the opening fence. */
  readonly code: string
  /** The reason of a `<!-- not-checked: reason -->` comment on the line before the fence, if any. */
  readonly notChecked: string | undefined
}

const OPEN = /^( {0,3}|\s*)(`{3,})\s*([\w-]*)/
const NOT_CHECKED = /^\s*<!--\s*not-checked:\s*(.+?)\s*-->\s*$/

/**
 * The fenced (backtick) code blocks of a Markdown file, in order, also inside list items.
 * Enough of CommonMark for the project's own docs: no tilde fences and no blocks in block quotes.
 */
export async function codeBlocks (file: string, path: string = file): Promise<CodeBlock[]> {
  const lines = (await readFile(path, 'utf8')).split('\n')
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i] as string)
    if (open === null) continue
    const [, indent = '', fence = '', lang = ''] = open
    const close = new RegExp(`^\\s*\`{${fence.length},}\\s*$`)
    const start = i
    const body: string[] = []
    for (i++; i < lines.length && !close.test(lines[i] as string); i++) {
      const text = lines[i] as string
      body.push(text.startsWith(indent) ? text.slice(indent.length) : text.trimStart())
    }
    if (i === lines.length) throw new Error(`${file}:${start + 1}: the code block is never closed`)
    const previous = NOT_CHECKED.exec(lines[start - 1] ?? '')
    blocks.push({ file, line: start + 1, lang, code: body.join('\n') + '\n', notChecked: previous?.[1] })
  }
  return blocks
}
