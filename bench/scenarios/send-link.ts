import { config } from '../config.js'
import { httpTarget, measureAll, pairedTarget, type Kind } from '../measure.js'
import { cpuRatio, extraFigure, ratio, type ScenarioResult } from '../report.js'
import { existingEmail, existingEmailHalfOn, rotating, unknownEmail } from '../seed/users.js'
import { baselineServer, RATE_LIMITED, sendLinkServer, withClients } from './servers.js'

export const title = 'scenarios 1-3: baseline, send-link for existing and for unknown e-mails, with and without rate limits (SQLite)'

// E-mail logins throughout: the adapter tries the username first, so an e-mail login costs two
// lookups whether or not the user exists, and the peer (better-auth) takes e-mails only.
// Every request comes from another client address, for every target: the rate-limited one needs
// it, and the others then parse the same requests.
export async function run (): Promise<ScenarioResult> {
  const existing = (): (() => string) => rotating(config.users, existingEmail)
  const unknown = (): (() => string) => rotating(config.users, unknownEmail)
  // One server, existing and unknown e-mails in alternating phases: the finer measure of the two.
  let kind: Kind = 'first'
  const alternating = (): (() => string) => {
    const [first, second] = [existing(), unknown()]
    return () => kind === 'first' ? first() : second()
  }
  // The control: existing e-mails in both kinds of phase, the second kind half the users further on
  // so that neither warms the other's rows. What the method reads where there is no difference to find.
  let control: Kind = 'first'
  const existingTwice = (): (() => string) => {
    const [first, second] = [existing(), rotating(config.users, existingEmailHalfOn(config.users))]
    return () => control === 'first' ? first() : second()
  }
  const measurements = await measureAll([
    httpTarget('baseline', withClients(baselineServer('sqlite', existing))),
    httpTarget('send-link', withClients(sendLinkServer('sqlite', existing))),
    httpTarget('send-link unknown', withClients(sendLinkServer('sqlite', unknown))),
    httpTarget('send-link rate-limited', withClients(sendLinkServer('sqlite', existing, RATE_LIMITED))),
    pairedTarget('send-link existing, then unknown', withClients(sendLinkServer('sqlite', alternating)), (next) => { kind = next }),
    pairedTarget('send-link existing, then existing', withClients(sendLinkServer('sqlite', existingTwice)), (next) => { control = next })
  ])
  return {
    measurements,
    figures: [
      ratio(measurements, 'send-link', 'baseline', { min: 0.6 }),
      cpuRatio(measurements, 'send-link', 'baseline'),
      ratio(measurements, 'send-link rate-limited', 'baseline', { min: 0.6 }),
      cpuRatio(measurements, 'send-link rate-limited', 'baseline'),
      // Separate servers: printed, but each fresh process's CPU per request moves by more than 3 %.
      ratio(measurements, 'send-link unknown', 'send-link'),
      cpuRatio(measurements, 'send-link unknown', 'send-link'),
      // Checked on one server, the two kinds in alternating phases, the work after each reply included.
      extraFigure(measurements, 'send-link existing, then unknown', 'secondOverFirst', 'unknown / existing by CPU per request, alternating on one server', 'x', { min: 0.97, max: 1.03 }),
      extraFigure(measurements, 'send-link existing, then existing', 'secondOverFirst', 'the control: existing / existing the same way, which should read 1', 'x')
    ]
  }
}
