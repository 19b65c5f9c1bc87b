import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'

// Every file the example serves, by URL. Nothing else under public/ can be reached: no part of a
// request names a file, so there is no path to traverse.
const PAGES: Readonly<Record<string, string>> = {
  '/reset-password/': 'reset-password/index.html',
  '/reset-password/reset-password.js': 'reset-password/reset-password.js',
  '/forgot-password/': 'forgot-password/index.html',
  '/forgot-password/forgot-password.js': 'forgot-password/forgot-password.js',
  '/login/': 'login/index.html',
  '/login/login.js': 'login/login.js',
  '/assets/api.js': 'assets/api.js',
  '/assets/status.js': 'assets/status.js',
  '/assets/style.css': 'assets/style.css'
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8'
}

const HEADERS = {
  // Same origin only and no inline script or style; no framing (the reset page takes a password),
  // and a form the script did not handle goes nowhere rather than to a URL that would log the password.
  'content-security-policy': "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  // The reset page's address holds the signature until its script removes it.
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  // Nor should a copy of the reset page be kept under that address.
  'cache-control': 'no-store'
}

/** The example's frontend: the reset, forgot-password and login pages, read once at startup. */
export const pages: FastifyPluginAsync = async (app) => {
  const root = new URL('./public/', import.meta.url)
  for (const [url, file] of Object.entries(PAGES)) {
    const body = await readFile(new URL(file, root))
    const type = TYPES[extname(file)] as string
    app.get(url, async (_request, reply) => await reply.headers(HEADERS).type(type).send(body))
  }
  app.get('/', async (_request, reply) => await reply.redirect('/login/'))
}
