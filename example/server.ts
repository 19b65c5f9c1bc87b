import { buildExample } from './app.js'
import { exampleConfig, startMessage } from './config.js'
import { closeOnSignals } from './shutdown.js'

const config = exampleConfig(process.env)
const app = await buildExample(config.app)
void closeOnSignals(app)
await app.listen({ port: config.port, host: config.host })
for (const line of startMessage(config)) app.log.info(line)
