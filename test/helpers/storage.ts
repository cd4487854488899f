import { join } from 'node:path';
import type { PurchaseRecord } from '../../src/domain/audit-record.js';
import type { License } from '../../src/domain/license.js';
import { fileStorage, jsonlLicenseStore, jsonlPurchaseLog } from '../../src/node.js';
import type { Storage } from '../../src/ports/storage.js';
import { purchaseRecordFixture } from '../../src/testing/fixtures.js';

/**
 * The two file layouts the reliability tests run against: `fileStorage` (licenses.json +
 * purchases.jsonl sharing `.lock`) and the JSONL pair (licenses.jsonl + purchases.jsonl, opened
 * each on its own, which by default share `.lock` in their directory too).
 */
export type Layout = 'fileStorage' | 'jsonl';

export const layouts: readonly Layout[] = ['fileStorage', 'jsonl'];

/** The license file of a layout in `dir`. */
export function licensePath(layout: Layout, dir: string): string {
  return join(dir, layout === 'fileStorage' ? 'licenses.json' : 'licenses.jsonl');
}

/** The purchase log of a layout in `dir`. */
export function purchasePath(dir: string): string {
  return join(dir, 'purchases.jsonl');
}

/** Opens the stores of `layout` on `dir`. */
export function openLayout(layout: Layout, dir: string): Storage {
  if (layout === 'fileStorage') return fileStorage({ dir });
  return {
    licenses: jsonlLicenseStore({ path: licensePath(layout, dir) }),
    purchases: jsonlPurchaseLog({ path: purchasePath(dir) }),
  };
}

/** Closes both halves of a storage. */
export async function closeStorage(storage: Storage): Promise<void> {
  await Promise.all([storage.licenses.close(), storage.purchases.close()]);
}

/** The purchase record of the sale `license` was issued for (its event id defaults to the sale id). */
export function recordFor(license: License, eventId = `evt-${license.purchaseId}`): PurchaseRecord {
  return purchaseRecordFixture({
    licenseKey: license.key,
    event: { eventId, purchase: { saleId: license.purchaseId, source: license.purchaseSource } },
  });
}

/** Drains an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Parses a layout name from a command-line argument. */
export function parseLayout(value: string | undefined): Layout {
  if (value === 'fileStorage' || value === 'jsonl') return value;
  throw new Error(`unknown layout ${String(value)}; expected fileStorage or jsonl`);
}
