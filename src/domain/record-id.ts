import { crockfordBase32 } from './_crockford.js';
import { LicenseKitError } from './errors.js';

const pool = new Uint8Array(256);
let next = pool.length;

/**
 * `length` random Crockford symbols of 5 CSPRNG bits each (`byte & 31`: 32 divides 256, so no
 * modulo bias), from bytes Web Crypto draws 256 at a time.
 */
function randomSymbols(length: number): string {
  let symbols = '';
  for (let i = 0; i < length; i++) {
    if (next === pool.length) {
      crypto.getRandomValues(pool);
      next = 0;
    }
    symbols += crockfordBase32[pool[next++]! & 31];
  }
  return symbols;
}

/**
 * The 10 Crockford symbols of `time` (milliseconds), most significant first: a ULID's time part for
 * a whole number from 0 to 2^48 − 1. Other values give odd symbols, never an error: the ids derived
 * from stored times (see `createdRecordId`) must stay what they were for any stored time.
 */
export function ulidTime(time: number): string {
  let symbols = '';
  for (let i = 0; i < 10; i++, time = Math.floor(time / 32)) symbols = crockfordBase32[time % 32] + symbols;
  return symbols;
}

/**
 * A new ULID for a record: its time part from `time` (milliseconds), then 80 CSPRNG bits. Encoded
 * here rather than by the `ulid` package, whose error classes would add 0.36 kB gzipped to the root
 * entry; the tests check these ids with `ulid`'s own `isValid` and `decodeTime`.
 */
export function newRecordId(time: number): string {
  if (!Number.isInteger(time) || time < 0 || time >= 2 ** 48) {
    throw new LicenseKitError(
      'INVALID_INPUT',
      `a record time must be a whole number of ms from 0 to 2^48, got ${time}`,
    );
  }
  return ulidTime(time) + randomSymbols(16);
}
