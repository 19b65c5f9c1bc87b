import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'

// Every file the example serves, by URL. Nothing else under public/ can be reached: no part of a
// request names a file, so there is no path to traverse.
const PAGES: Readonly<Record<string, string>> = {
  '/reset-password/': 'reset-password/index.html',
  '/reset-password/reset-password.js': 'reset-password/reset-password.js',
  '/reset-with-code/': 'reset-with-code/index.html',
  '/reset-with-code/reset-with-code.js': 'reset-with-code/reset-with-code.js',
  '/forgot-password/': 'forgot-password/index.html',
  '/forgot-password/forgot-password.js': 'forgot-password/forgot-password.js',
  '/login/': 'login/index.html',
  '/login/login.js': 'login/login.js',
  '/assets/api.js': 'assets/api.js',
  '/assets/status.js': 'assets/status.js',
  '/assets/style.css': 'assets/style.css',
  '/assets/favicon.svg': 'assets/favicon.svg'
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml'
}

const HEADERS = {
  // Same origin only, no inline script or style, no framing (the reset page takes a password), and
  // no plain form submission: a form the script did not take over sends the password nowhere.
  'content-security-policy': "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  // The reset page's address holds the signature until its script removes it.
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  // Nor should a copy of the reset page be kept under that address.
  'cache-control': 'no-store'
}

// A reset link's query is a credential, and access logs are kept and shipped: they get the path only.
const logSerializers = {
  req: (request: FastifyRequest) => ({ method: request.method, url: request.url.split('?')[0], remoteAddress: request.ip })
}

/** The example's frontend: the reset, forgot-password and login pages, read once at startup. */
export const pages: FastifyPluginAsync = async (app) => {
  const root = new URL('./public/', import.meta.url)
  for (const [url, file] of Object.entries(PAGES)) {
    const body = await readFile(new URL(file, root))
    const type = TYPES[extname(file)] as string
    // A page answers with and without its trailing slash (as the plugin's routes do): a link typed or
    // cut short still opens it. Served, not redirected, so a reset link's query never travels twice.
    for (const path of url.endsWith('/') ? [url, url.slice(0, -1)] : [url]) {
      app.get(path, { logSerializers }, async (_request, reply) => await reply.headers(HEADERS).type(type).send(body))
    }
  }
  app.get('/', async (_request, reply) => await reply.redirect('/login/'))
}
