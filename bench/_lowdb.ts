import { constants } from 'node:buffer';
import type { AuditRecord, License } from 'licensekit';
import type { Low } from 'lowdb';
import { JSONFile, JSONFilePreset } from 'lowdb/node';

/**
 * lowdb 7 as its README shows it: `JSONFilePreset`, then `db.update()` for every change. Each update
 * rewrites the whole document (2-space indented) through steno: temp file then rename, no fsync, no
 * lock; updates from one process arriving while a write runs share the next write. The licenses are
 * keyed by key (an array `find` would be slower).
 */
export interface LicensesDb {
  licenses: Record<string, License>;
}

/** The purchase history in a second lowdb document (lowdb cannot append: it is rewritten too). */
export interface PurchasesDb {
  purchases: AuditRecord[];
}

/** Writes `data` as lowdb's document at `path`, then opens it as a user would. */
export async function openLowdb<T>(path: string, data: T): Promise<Low<T>> {
  const seeding = await JSONFilePreset<T>(path, data);
  seeding.data = data;
  await seeding.write();
  const db = await JSONFilePreset<T>(path, data);
  if (!(db.adapter instanceof JSONFile)) {
    throw new Error('lowdb chose its memory adapter (NODE_ENV=test?): unset NODE_ENV to bench it');
  }
  return db;
}

/**
 * Whether lowdb can hold `records` log records at all: its document is one string, and V8 strings
 * stop at `MAX_STRING_LENGTH` (512 MiB on 64-bit). Returns the reason it cannot, or null.
 */
export function lowdbCannotHold(records: number, recordOf: (i: number) => AuditRecord): string | null {
  const sample = Array.from({ length: 1000 }, (_, i) => recordOf(i));
  const estimate = (JSON.stringify({ purchases: sample }, null, 2).length / sample.length) * records;
  return estimate > constants.MAX_STRING_LENGTH
    ? `not run: its document would be ~${Math.round(estimate / 2 ** 20)} MiB, over V8's ${Math.round(constants.MAX_STRING_LENGTH / 2 ** 20)} MiB string limit`
    : null;
}

/**
 * lowdb serializes the whole document in every `update()`, concurrent ones included (steno merges
 * only the disk writes), so 64 concurrent callers on 100,000 licenses cost 64 full serializations:
 * minutes per row. Scenario 2 runs that case once; the other scenarios skip it and say why.
 */
export function lowdbSkip(n: number, callers: number): string | null {
  return n >= 100_000 && callers > 1
    ? `not run: each of the ${callers} concurrent update() calls serializes the whole document; scenario 2 measures this case`
    : null;
}
