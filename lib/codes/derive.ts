import { createHmac, type KeyObject } from 'node:crypto'
import type { SignedUser } from '../signer/signer.js'
import { encode } from '../signer/hmac.js'

// The HMAC input says what it is for: a code can never equal a link signature's MAC input or another format's.
const PURPOSE = 'code'
// 128 bits of the MAC reduced modulo 10^digits: the bias of the remainder is below 10^10 / 2^128 (3e-29),
// where HOTP's 31-bit dynamic truncation (RFC 4226, section 5.3) would leave up to 10^10 / 2^31 at ten digits.
const TAKEN_BYTES = 16

/**
 * The code of `user` for the period numbered `periodIndex` (UNIX seconds / period, rounded down):
 * `digits` decimal digits of HMAC-SHA256 over the purpose, user id, period, password hash and e-mail.
 * A new password or e-mail address, another period or another account gives an unrelated code.
 */
export function deriveCode (key: KeyObject, user: SignedUser, periodIndex: number, digits: number): string {
  const mac = createHmac('sha256', key)
    .update(encode([PURPOSE, user.id, String(periodIndex), user.passwordHash, user.email ?? '']))
    .digest()
  const value = BigInt(`0x${mac.subarray(0, TAKEN_BYTES).toString('hex')}`) % 10n ** BigInt(digits)
  return value.toString().padStart(digits, '0')
}
