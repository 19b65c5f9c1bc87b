import { config } from '../config.js'
import { httpTarget, measureAll, type Served } from '../measure.js'
import { ensurePeers } from '../peers/install.js'
import { benchFile, startChild } from '../processes.js'
import { cpuRatio, ratio, type ScenarioResult } from '../report.js'
import { sqliteCopy } from '../seed/sqlite.js'
import { existingEmail, rotating } from '../seed/users.js'
import { sendLinkServer } from './servers.js'

export const title = 'scenario 7: send-link vs better-auth request-password-reset on the same SQLite data'

// Existing e-mails only, as scenario 2: better-auth writes a verification row for each, so an
// unknown address costs it less (about 1.6 times the rate here), unlike the plugin.
function betterAuth (login: (i: number) => string): () => Promise<Served> {
  return async () => {
    const copy = await sqliteCopy(config.users)
    try {
      const child = await startChild(benchFile('peers/better-auth.ts'), { env: { BENCH_DB_FILE: copy.file, BENCH_PEERS_DIR: benchFile('peers/') } })
      return { child, path: '/api/auth/request-password-reset', body: rotating(config.users, login, 'email'), cleanup: copy.remove }
    } catch (err) {
      await copy.remove()
      throw err
    }
  }
}

export async function run (): Promise<ScenarioResult> {
  ensurePeers()
  const measurements = await measureAll([
    httpTarget('send-link', sendLinkServer('sqlite', () => rotating(config.users, existingEmail))),
    httpTarget('better-auth', betterAuth(existingEmail))
  ])
  return { measurements, figures: [ratio(measurements, 'send-link', 'better-auth', { min: 20 }), cpuRatio(measurements, 'send-link', 'better-auth')] }
}
