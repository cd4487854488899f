import { ulid } from 'ulid';

const pool = new Uint32Array(256);
let next = pool.length;

/** Uniform floats in [0, 1) from Web Crypto, drawn 256 at a time (ulid asks once per character). */
function pooledRandom(): number {
  if (next === pool.length) {
    crypto.getRandomValues(pool);
    next = 0;
  }
  return pool[next++]! / 2 ** 32;
}

/** A new ULID for a record, with its time part from `time` (milliseconds) and 80 CSPRNG bits. */
export function newRecordId(time: number): string {
  return ulid(time, pooledRandom);
}
