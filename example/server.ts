import { buildExample } from './app.js'

const port = Number(process.env.PORT ?? 3000)
const app = await buildExample({
  database: process.env.DATABASE ?? 'example.sqlite',
  publicUrl: process.env.PUBLIC_URL ?? `http://localhost:${port}/`,
  smtpUrl: process.env.SMTP_URL,
  secret: process.env.RESET_SECRET,
  adminToken: process.env.ADMIN_TOKEN,
  logger: { level: 'info' }
})
await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' })
app.log.info(`open http://localhost:${port}/forgot-password/ and ask a link for "demo"; log in at http://localhost:${port}/login/`)
