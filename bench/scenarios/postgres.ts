import { config } from '../config.js'
import { httpTarget, measureAll } from '../measure.js'
import { ratio, type ScenarioResult } from '../report.js'
import { seedPostgres } from '../seed/postgres.js'
import { existingEmail, rotating } from '../seed/users.js'
import { resetFigures, resetTargets } from './reset.js'
import { baselineServer, RATE_LIMITED, sendLinkServer, withClients } from './servers.js'

export const title = 'scenario 6: scenarios 1, 2 and 5 on PostgreSQL'

export async function run (): Promise<ScenarioResult> {
  await seedPostgres(config.pgUrl, config.users)
  const existing = (): (() => string) => rotating(config.users, existingEmail)
  const measurements = await measureAll([
    // Every request from another client address, as in the send-link scenario.
    httpTarget('baseline pg', withClients(baselineServer('postgres', existing))),
    httpTarget('send-link pg', withClients(sendLinkServer('postgres', existing))),
    httpTarget('send-link rate-limited pg', withClients(sendLinkServer('postgres', existing, RATE_LIMITED))),
    // The default-hasher pair for the normal duration here: it measures scrypt, whatever the store.
    ...resetTargets('postgres', ' pg', config.duration)
  ])
  return {
    measurements,
    figures: [
      // No CPU cross-check here: PostgreSQL's own processes do part of the work, out of the server's CPU time.
      ratio(measurements, 'send-link pg', 'baseline pg', { min: 0.6 }),
      ratio(measurements, 'send-link rate-limited pg', 'baseline pg', { min: 0.6 }),
      ...resetFigures(measurements, ' pg')
    ]
  }
}
