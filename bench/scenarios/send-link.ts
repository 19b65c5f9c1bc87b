import { config } from '../config.js'
import { httpTarget, measureAll } from '../measure.js'
import { cpuRatio, ratio, type ScenarioResult } from '../report.js'
import { existingEmail, rotating, unknownEmail } from '../seed/users.js'
import { baselineServer, sendLinkServer } from './servers.js'

export const title = 'scenarios 1-3: baseline, send-link for existing and for unknown e-mails (SQLite)'

// E-mail logins throughout: the adapter tries the username first, so an e-mail login costs two
// lookups whether or not the user exists, and the peer (better-auth) takes e-mails only.
export async function run (): Promise<ScenarioResult> {
  const existing = (): (() => string) => rotating(config.users, existingEmail)
  const unknown = (): (() => string) => rotating(config.users, unknownEmail)
  const measurements = await measureAll([
    httpTarget('baseline', baselineServer('sqlite', existing)),
    httpTarget('send-link', sendLinkServer('sqlite', existing)),
    httpTarget('send-link unknown', sendLinkServer('sqlite', unknown))
  ])
  return {
    measurements,
    figures: [
      ratio(measurements, 'send-link', 'baseline', { min: 0.5 }),
      cpuRatio(measurements, 'send-link', 'baseline'),
      ratio(measurements, 'send-link unknown', 'send-link', { min: 0.97, max: 1.03 }),
      cpuRatio(measurements, 'send-link unknown', 'send-link')
    ]
  }
}
