import { config } from '../config.js'
import { httpTarget, measureAll } from '../measure.js'
import { cpuRatio, ratio, type ScenarioResult } from '../report.js'
import { existingEmail, rotating, unknownEmail } from '../seed/users.js'
import { sendCodeServer, sendLinkServer } from './servers.js'

export const title = 'send-code next to send-link, for existing and for unknown e-mails (SQLite)'

// The code route does what send-link does on the request path (look up, queue); its mark, HMAC and
// template run when the mail leaves the queue. It should keep send-link's rate, for either kind of login.
export async function run (): Promise<ScenarioResult> {
  const existing = (): (() => string) => rotating(config.users, existingEmail)
  const unknown = (): (() => string) => rotating(config.users, unknownEmail)
  const measurements = await measureAll([
    httpTarget('send-link', sendLinkServer('sqlite', existing)),
    httpTarget('send-code', sendCodeServer('sqlite', existing)),
    httpTarget('send-code unknown', sendCodeServer('sqlite', unknown))
  ])
  return {
    measurements,
    figures: [
      ratio(measurements, 'send-code', 'send-link', { min: 0.9 }),
      cpuRatio(measurements, 'send-code', 'send-link'),
      ratio(measurements, 'send-code unknown', 'send-code', { min: 0.97, max: 1.03 }),
      cpuRatio(measurements, 'send-code unknown', 'send-code')
    ]
  }
}
