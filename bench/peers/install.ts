import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const PEERS = fileURLToPath(new URL('.', import.meta.url))

/**
 * Installs bench/peers/ from its lockfile on first use: the peers are no dependencies of the plugin,
 * so the root `npm ci` does not bring them.
 */
export function ensurePeers (): void {
  if (existsSync(fileURLToPath(new URL('node_modules/better-auth/package.json', import.meta.url)))) return
  console.error('-- installing bench/peers (npm ci), once')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const result = spawnSync(npm, ['ci', '--prefix', PEERS, '--no-audit', '--no-fund'], { stdio: 'inherit' })
  if (result.status !== 0) throw new Error(`npm ci --prefix ${PEERS} failed (exit ${result.status})`)
}
