import { mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { config } from './config.js'
import type { Measurement } from './measure.js'
import { benchFile } from './processes.js'
import { median } from './stats.js'

/** A derived number: a ratio of two targets, a delivery lag, a memory growth. */
export interface Figure {
  readonly name: string
  /** The median of `runs` when there are several. */
  readonly value: number
  readonly unit: string
  readonly runs?: readonly number[]
  readonly target?: { readonly min?: number, readonly max?: number }
  /** Decimals printed: 3 for a ratio ('x'), 2 for others, by default; a p-value ('p') prints two significant digits. */
  readonly digits?: number
  /** How it was computed. */
  readonly how: string
}

export interface ScenarioResult {
  readonly measurements: readonly Measurement[]
  readonly figures: readonly Figure[]
}

export interface Summary {
  readonly target: string
  readonly runs: number
  readonly rps: number
  readonly p50: number | null
  readonly p99: number | null
  /** Failures summed over all runs. */
  readonly failures: Readonly<Record<string, number>>
  readonly serverRss: number
  readonly serverCpu: number
  readonly cpuPerRequest: number
  readonly clientCpu: number | null
  readonly extra: Readonly<Record<string, number>>
}

const medianOf = (values: ReadonlyArray<number | null>): number | null =>
  values.some((v) => v === null) ? null : median(values as number[])

/** Medians per target, in the order targets first appear. */
export function summarize (measurements: readonly Measurement[]): Summary[] {
  const names = [...new Set(measurements.map((m) => m.target))]
  return names.map((target) => {
    const mine = measurements.filter((m) => m.target === target)
    const failures: Record<string, number> = {}
    for (const m of mine) for (const [status, count] of Object.entries(m.failures)) failures[status] = (failures[status] ?? 0) + count
    const extraKeys = [...new Set(mine.flatMap((m) => Object.keys(m.extra ?? {})))]
    return {
      target,
      runs: mine.length,
      rps: median(mine.map((m) => m.rps)),
      p50: medianOf(mine.map((m) => m.p50)),
      p99: medianOf(mine.map((m) => m.p99)),
      failures,
      serverRss: median(mine.map((m) => m.serverRss)),
      serverCpu: median(mine.map((m) => m.serverCpu)),
      cpuPerRequest: median(mine.map((m) => m.cpuPerRequest)),
      clientCpu: medianOf(mine.map((m) => m.clientCpu)),
      extra: Object.fromEntries(extraKeys.map((key) => [key, median(mine.map((m) => m.extra?.[key] ?? Number.NaN))]))
    }
  })
}

/**
 * One figure per run, from the runs' measurements of some targets: `figure` is given the value of
 * `field` that a target had in the run (NaN when the run did not measure it).
 */
export function perRun (measurements: readonly Measurement[], field: 'rps' | 'cpuPerRequest', figure: (of: (target: string) => number) => number): number[] {
  return [...new Set(measurements.map((m) => m.run))].map((run) =>
    figure((target) => measurements.find((m) => m.run === run && m.target === target)?.[field] ?? Number.NaN))
}

/** rps of `numerator` over rps of `denominator`, per run (the two measured minutes apart), then the median. */
export function ratio (measurements: readonly Measurement[], numerator: string, denominator: string, target?: Figure['target']): Figure {
  const runs = perRun(measurements, 'rps', (rate) => rate(numerator) / rate(denominator))
  return { name: `${numerator} / ${denominator}`, value: median(runs), unit: 'x', runs, ...(target === undefined ? {} : { target }), how: 'requests/s ratio per run, median' }
}

/**
 * The same ratio from server CPU time per request (denominator's over numerator's): what the rate
 * ratio would be if both had the same cores, whatever else the shared machine ran meanwhile.
 */
export function cpuRatio (measurements: readonly Measurement[], numerator: string, denominator: string, target?: Figure['target']): Figure {
  const runs = perRun(measurements, 'cpuPerRequest', (cost) => cost(denominator) / cost(numerator))
  return { name: `${numerator} / ${denominator} by CPU per request`, value: median(runs), unit: 'x', runs, ...(target === undefined ? {} : { target }), how: 'server CPU us per request, denominator over numerator, per run, median' }
}

/** A per-run figure a target recorded in `extra` (`key`), median of the runs. */
export function extraFigure (measurements: readonly Measurement[], target: string, key: string, name: string, unit: string, bounds?: Figure['target']): Figure {
  const runs = measurements.filter((m) => m.target === target).map((m) => m.extra?.[key] ?? Number.NaN)
  return { name: `${target}: ${name}`, value: median(runs), unit, runs, ...(bounds === undefined ? {} : { target: bounds }), how: `${key} per run, median` }
}

/**
 * extra[part] / extra[whole] of a target, its worst run, which must be 1: every mail accepted was
 * delivered, every request stored was done, in every run.
 */
export function completeShare (measurements: readonly Measurement[], target: string, part: string, whole: string, how: string): Figure {
  const runs = measurements.filter((m) => m.target === target).map((m) => (m.extra?.[part] ?? 0) / (m.extra?.[whole] ?? Number.NaN))
  return { name: `${target}: ${part} / ${whole}`, value: Math.min(...runs), unit: 'x', runs, target: { min: 1 }, how: `${how}, worst run` }
}

export function met (figure: Figure): boolean | undefined {
  if (figure.target === undefined) return undefined
  const { min = -Infinity, max = Infinity } = figure.target
  return figure.value >= min && figure.value <= max
}

function targetText (target: Figure['target']): string {
  if (target === undefined) return ''
  if (target.min !== undefined && target.max !== undefined) return `${target.min} to ${target.max}`
  return target.min !== undefined ? `>= ${target.min}` : `<= ${target.max as number}`
}

const number = (value: number | null, digits = 0): string =>
  value === null || !Number.isFinite(value) ? '-' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

function failureText (failures: Readonly<Record<string, number>>): string {
  const parts = Object.entries(failures).map(([status, count]) => `${status}:${count}`)
  return parts.length === 0 ? '-' : parts.join(' ')
}

function table (rows: readonly string[][]): string {
  const widths = (rows[0] as string[]).map((_, column) => Math.max(...rows.map((row) => (row[column] as string).length)))
  return rows.map((row) => row.map((cell, column) => column === 0 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number)).join('  ')).join('\n')
}

/** The scenario's table and figures, as printed and as pasted into BENCHMARKS.md. */
export function render (name: string, title: string, result: ScenarioResult): string {
  const rows = [['target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx (all runs)', 'server RSS MB', 'server CPU %', 'CPU us/req', 'load CPU %', 'runs']]
  for (const s of summarize(result.measurements)) {
    rows.push([s.target, number(s.rps, s.rps < 100 ? 2 : 0), number(s.p50, 1), number(s.p99, 1), failureText(s.failures), number(s.serverRss), number(s.serverCpu), number(s.cpuPerRequest), number(s.clientCpu), String(s.runs)])
  }
  const figures = result.figures.map((f) => {
    const verdict = met(f)
    const value = (v: number): string => f.unit === 'p' ? v.toPrecision(2) : number(v, f.digits ?? (f.unit === 'x' ? 3 : 2))
    const runs = f.runs !== undefined && f.runs.length > 1 ? ` (runs: ${f.runs.map(value).join(', ')})` : ''
    const check = verdict === undefined ? '' : `  target ${targetText(f.target)}: ${verdict ? 'met' : 'MISSED'}`
    return `  ${f.name} = ${value(f.value)}${f.unit === 'x' || f.unit === 'p' ? '' : ' ' + f.unit}${runs}${check}`
  })
  return [`== ${name}: ${title}`, table(rows), ...figures].join('\n')
}

export function machine (): Record<string, string | number> {
  return {
    cpus: availableParallelism(),
    model: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    date: new Date().toISOString()
  }
}

/** Writes the figures as JSON under bench/results/ (git-ignored), or BENCH_RESULTS; returns the path. */
export async function writeResult (name: string, title: string, result: ScenarioResult): Promise<string> {
  const folder = process.env['BENCH_RESULTS'] ?? benchFile('results/')
  await mkdir(folder, { recursive: true })
  const file = join(folder, `${name}.json`)
  const body = { scenario: name, title, machine: machine(), config, summary: summarize(result.measurements), ...result }
  await writeFile(file, JSON.stringify(body, null, 2) + '\n')
  return file
}
