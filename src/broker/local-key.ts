import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * The key a broker run with --local-clients gives the skypipe commands of its own machine (its own
 * container): written with its address to a record only its user can read, it stands for any
 * user's password, and only on connections from loopback. Whoever can read the record can read
 * the broker's users and data as well, so it grants nothing they do not have.
 */
export function newLocalKey(): string {
  return randomBytes(32).toString('base64url');
}

const LOOPBACK_V4 = /^(::ffff:)?127\./;

function fromLoopback(address: string): boolean {
  return address === '::1' || (isIP(address.replace(/^::ffff:/, '')) === 4 && LOOPBACK_V4.test(address));
}

/** Whether `given`, sent from `address`, is the local key. Compared in constant time. */
export function isLocalKey(localKey: string | undefined, given: Buffer, address: string): boolean {
  if (localKey === undefined || !fromLoopback(address)) return false;
  const expected = Buffer.from(localKey);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
