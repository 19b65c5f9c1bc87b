import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runBench, type Written } from './helpers/bench.js'

// `npm run bench:count`, shrunk: both servers start under callgrind (20 to 30 s each, at once), every
// phase is counted, and the figures come out. Its own file: in bench-smoke's, beside every other
// scenario at once, the servers' start under valgrind would hold the others back.

t.setTimeout(300_000)

// valgrind is on every machine of this project's kind, CI's too; elsewhere it may be missing.
const missing = spawnSync('valgrind', ['--version']).error !== undefined && process.env['CI'] === undefined
  ? 'valgrind is not installed (Debian: apt-get install valgrind)'
  : false

t.test('the count benchmark counts instructions per request for each kind of login, and its control', { skip: missing }, async (t) => {
  const results = await mkdtemp(join(tmpdir(), 'fastify-reset-password-bench-count-'))
  t.teardown(async () => { await rm(results, { recursive: true, force: true }) })
  const { code, output } = await runBench(['bench/count.ts'], results)
  t.equal(code, 0, 'it exits with 0', { output })
  const written = JSON.parse(await readFile(join(results, 'count.json'), 'utf8')) as Written
  const targets = ['send-link existing', 'send-link unknown', 'control: existing', 'control: existing, half further on']
  t.same([...new Set(written.measurements.map((m) => m.target))].sort(), [...targets].sort(), 'it counted each kind on its server')
  t.equal(written.measurements.length, 8, 'in four phases each')
  for (const m of written.measurements) {
    t.same(m.failures, {}, `${m.target}: every request answered 2xx`)
    // A request's path costs about 240,000 instructions once V8 has optimised it, and more before (as
    // in this short run): a count far below that would be a dump read wrong.
    const { all = 0, path = 0, gc = -1, compile = -1 } = m.extra ?? {}
    t.ok(path > 10_000, `${m.target}: ${path} instructions a request on the request path`)
    t.ok(gc >= 0 && compile >= 0 && path < all, `${m.target}: ${gc} in the GC and ${compile} in the compilers, of ${all}`)
  }
  // Named by their V8 functions, which Node 24 renamed once: a run that found none counted them as GC.
  t.ok(written.measurements.some((m) => (m.extra?.['compile'] ?? 0) > 0), 'V8\'s compilers were found on their threads')
  const figure = written.figures.find((f) => f.name.startsWith('send-link unknown / send-link existing, instructions per request: the request path'))
  t.ok(figure !== undefined && Number.isFinite(figure.value), 'the ratio of the request paths is a number', { figure })
  t.match(output, /target 0\.97 to 1\.03: (met|MISSED)/, 'and is held to 3 %')
})
