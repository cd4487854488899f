import { encodeTime } from 'ulid';
import { crockfordBase32 } from './_crockford.js';

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

/** A new ULID for a record: its time part from `time` (milliseconds), then 80 CSPRNG bits. */
export function newRecordId(time: number): string {
  return encodeTime(time, 10) + randomSymbols(16);
}
