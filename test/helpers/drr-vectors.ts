import { readFileSync } from 'node:fs'

/** One signature made by a real django-rest-registration 0.9 install (test/fixtures/drr-signatures.json). */
export interface Vector {
  readonly secret_key: string
  readonly one_time_use: boolean
  readonly stored_password_hash: string | null
  readonly user_id: string
  readonly timestamp: number
  readonly signature: string
}

export const vectors: readonly Vector[] = (JSON.parse(readFileSync(new URL('../fixtures/drr-signatures.json', import.meta.url), 'utf8')) as { vectors: readonly Vector[] }).vectors
