/** Storage conformance cases for list and scan over more than one page of an adapter's reads. */
import type { AuditRecord } from '../../domain/audit-record.js';
import type { License } from '../../domain/license.js';
import type { AuditFilter, LicenseFilter } from '../../ports/storage.js';
import { assertEqual } from '../_assert.js';
import { licenseFixture, licenseRecordFixture, purchaseRecordFixture } from '../fixtures.js';
import type { StorageConformanceCase } from '../storage-conformance.js';
import { at, collect, describeFilter, idsOf, keysOf, withDescendingIds } from './_helpers.js';

/**
 * How many licenses and records the paging cases store: more than a page of 100 or 200 rows, as
 * adapters read with `LIMIT` or a KV `list()`, and few enough to keep the cases fast.
 */
const manyItems = 250;

/** Items from this index on are the late ones, which only the last page holds. */
const lateFrom = 230;

/** Indexes `0 … manyItems - 1` for which `test` holds. */
function indexesWhere(test: (index: number) => boolean): number[] {
  return Array.from({ length: manyItems }, (_, i) => i).filter(test);
}

/** Every 7th item (from index 3) is the rare kind, spread over every page. */
const isRare = (index: number): boolean => index % 7 === 3;

/**
 * `list-returns-every-page`: `list` yields all of 250 licenses in insertion order, with and without a
 * filter, including filters whose matches are spread over every page or lie on the last page only.
 */
export const listReturnsEveryPage: StorageConformanceCase = {
  id: 'list-returns-every-page',
  title: 'list returns every license of a store holding more than one page, in insertion order',
  run: async ({ storage }) => {
    const { licenses } = storage;
    // Keys and sale ids sort opposite to insertion order, so sorting by either is caught.
    const inserted: License[] = Array.from({ length: manyItems }, (_, i) => {
      const base = licenseFixture();
      const rank = String(999 - i).padStart(3, '0');
      return licenseFixture({
        key: `P${rank}-${base.key}`,
        purchaseId: `sale-${rank}-${base.purchaseId}`,
        productId: isRare(i) ? 'pro' : 'app',
        email: i >= lateFrom ? 'late@example.com' : base.email,
      });
    });
    for (const license of inserted) await licenses.insert(license);
    assertEqual(
      await collect(() => licenses.list()),
      inserted,
      `list() of ${manyItems} licenses returns every one, in insertion order`,
    );
    const expectations: Array<[LicenseFilter, number[]]> = [
      [{ productId: 'app' }, indexesWhere((i) => !isRare(i))],
      [{ productId: 'pro' }, indexesWhere(isRare)],
      [{ email: 'late@example.com' }, indexesWhere((i) => i >= lateFrom)],
    ];
    for (const [filter, indexes] of expectations) {
      assertEqual(
        keysOf(await collect(() => licenses.list(filter))),
        indexes.map((i) => inserted[i]!.key),
        `list(${describeFilter(filter)}) of ${manyItems} licenses`,
      );
    }
  },
};

/**
 * `scan-returns-every-page`: `scan` yields all of 250 records in append order, with and without a
 * filter, including filters whose matches are spread over every page or lie on the last page only.
 */
export const scanReturnsEveryPage: StorageConformanceCase = {
  id: 'scan-returns-every-page',
  title: 'scan returns every record of a log holding more than one page, in append order',
  run: async ({ storage }) => {
    const { purchases } = storage;
    const lateKey = licenseFixture().key;
    const records: AuditRecord[] = withDescendingIds(
      Array.from({ length: manyItems }, (_, i): AuditRecord => {
        const late = i >= lateFrom;
        const recordedAt = at(late ? 1 : 0);
        if (isRare(i)) return licenseRecordFixture({ recordedAt, ...(late ? { licenseKey: lateKey } : {}) });
        return purchaseRecordFixture({ recordedAt, licenseKey: late ? lateKey : null });
      }),
    );
    for (const record of records) await purchases.append(record);
    assertEqual(
      await collect(() => purchases.scan()),
      records,
      `scan() of ${manyItems} records returns every one, in append order`,
    );
    const expectations: Array<[AuditFilter, number[]]> = [
      [{ kind: 'purchase' }, indexesWhere((i) => !isRare(i))],
      [{ kind: 'license' }, indexesWhere(isRare)],
      [{ since: at(1) }, indexesWhere((i) => i >= lateFrom)],
      [{ licenseKey: lateKey.toLowerCase() }, indexesWhere((i) => i >= lateFrom)],
    ];
    for (const [filter, indexes] of expectations) {
      assertEqual(
        idsOf(await collect(() => purchases.scan(filter))),
        indexes.map((i) => records[i]!.id),
        `scan(${describeFilter(filter)}) of ${manyItems} records`,
      );
    }
  },
};
