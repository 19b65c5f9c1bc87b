import type { ExampleOptions } from './app.js'

/** What `npm start` reads from its environment; every variable is listed in the README. */
export interface ExampleConfig {
  readonly port: number
  readonly host: string
  readonly app: ExampleOptions
}

/** The example's settings from environment variables, with the README's defaults. */
export function exampleConfig (env: NodeJS.ProcessEnv): ExampleConfig {
  const port = Number(env.PORT ?? 3000)
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    app: {
      database: env.DATABASE ?? 'example.sqlite',
      freshDatabase: env.RESET_DEMO === '1',
      publicUrl: env.PUBLIC_URL ?? `http://localhost:${port}/`,
      smtpUrl: env.SMTP_URL,
      secret: env.RESET_SECRET,
      adminToken: env.ADMIN_TOKEN,
      logger: { level: 'info' }
    }
  }
}

/** The lines `npm start` prints once listening: where to go, where the link appears, how to start over. */
export function startMessage ({ app }: ExampleConfig): string[] {
  const page = (path: string): string => new URL(path, app.publicUrl).href
  return [
    `open ${page('/forgot-password/')} and ask a link for "demo" (password "demo-password-1"); log in at ${page('/login/')}`,
    app.smtpUrl === undefined
      ? 'the mail with the reset link is printed on this console (set SMTP_URL to send it by SMTP)'
      : 'the mail with the reset link is sent through SMTP_URL',
    `to start over with the demo password, stop the server and delete ${app.database}, or start it with RESET_DEMO=1`,
    'Ctrl-C stops the server after sending the mail still queued'
  ]
}
