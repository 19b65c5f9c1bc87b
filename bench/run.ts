import { config } from './config.js'
import { onRequestedNode } from './node.js'
import { render, writeResult, type ScenarioResult } from './report.js'
import * as durable from './scenarios/durable.js'
import * as memory from './scenarios/memory.js'
import * as peer from './scenarios/peer.js'
import * as postgres from './scenarios/postgres.js'
import * as reset from './scenarios/reset.js'
import * as sendLink from './scenarios/send-link.js'
import * as sendCode from './scenarios/send-code.js'
import * as smtp from './scenarios/smtp.js'
import * as wakeup from './scenarios/wakeup.js'

// `npm run bench` runs every scenario; `npm run bench:<name>` (or `node --import tsx bench/run.ts <name>...`) some.
// Each prints its table and writes bench/results/<name>.json.

interface Scenario {
  readonly title: string
  run (): Promise<ScenarioResult>
}

const scenarios: Readonly<Record<string, Scenario>> = {
  'send-link': sendLink,
  'send-code': sendCode,
  smtp,
  durable,
  reset,
  postgres,
  peer,
  memory,
  wakeup
}

onRequestedNode()

const names = process.argv.slice(2)
const unknown = names.filter((name) => !Object.hasOwn(scenarios, name))
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; choose from: ${Object.keys(scenarios).join(', ')}`)
  process.exit(2)
}

console.log(`Node ${process.version}: ${config.runs} runs x ${config.duration} s (after ${config.warmup} s of warm-up), ${config.connections} connections, ${config.users} users${config.poll ? ', a polling load generator (BENCH_POLL)' : ''}`)
for (const name of names.length === 0 ? Object.keys(scenarios) : names) {
  const scenario = scenarios[name] as Scenario
  console.error(`-- ${name}`)
  const started = Date.now()
  const result = await scenario.run()
  const report = render(name, scenario.title, result)
  const file = await writeResult(name, scenario.title, result)
  console.log(`${report}\n  (${Math.round((Date.now() - started) / 1000)} s; ${file})\n`)
}
