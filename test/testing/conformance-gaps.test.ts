/**
 * Realistic storage adapter bugs that the exported conformance suite (`runStorageConformance`) must
 * catch. Each test first shows that the adapter really is broken (through the library where the bug
 * bites), then that the suite fails it, in the case written for that bug. The last test pins what a
 * black-box suite cannot see, which the `LicenseStore` doc comment says.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory-storage.js';
import { purchaseQuery } from '../../src/cli/purchase-filters.js';
import { type AuditRecord, auditDedupeKey } from '../../src/domain/audit-record.js';
import type { License } from '../../src/domain/license.js';
import { LicenseManager, PurchaseAuditLog } from '../../src/index.js';
import type { LicenseFilter, Storage } from '../../src/ports/storage.js';
import {
  deviceFixture,
  fakeClock,
  licenseFixture,
  purchaseEventFixture,
  purchaseRecordFixture,
  type StorageConformanceCaseId,
} from '../../src/testing.js';
import {
  brokenStorage,
  collect,
  type Flaw,
  failingCaseIds,
  handleOptions,
  lockOnKeyText,
  patchLicenses,
  patchPurchases,
  saleUniqueOnIdOnly,
} from '../helpers/broken-adapters.js';

/** Runs the whole suite against `flaw` and expects case `id` (at least) to fail, naming itself. */
async function expectCaseCatches(id: StorageConformanceCaseId, name: string, flaw: Flaw): Promise<void> {
  const failed = await failingCaseIds(handleOptions(name, flaw));
  expect([...failed.keys()], `the cases that fail for: ${name}`).toContain(id);
  expect(failed.get(id)).toContain(`[${id}] `);
}

// ---------------------------------------------------------------------------------------------
// Filter columns (SQL columns beside a JSON blob, KV index entries) written at insert and not
// maintained by update.

type Columns = Pick<License, 'email' | 'productId' | 'subscriptionId' | 'purchaseSource'>;

/** Filters by index columns written at insert; `update` keeps only the `status` column fresh. */
const staleIndexAfterUpdate: Flaw = patchLicenses((base, state) => {
  const columns = (state.get('columns') as Map<string, Columns> | undefined) ?? new Map<string, Columns>();
  state.set('columns', columns);
  return {
    insert: async (license) => {
      const result = await base.insert(license);
      if (result.created) {
        const { email, productId, subscriptionId, purchaseSource } = result.license;
        columns.set(result.license.key.toUpperCase(), { email, productId, subscriptionId, purchaseSource });
      }
      return result;
    },
    list: (filter?: LicenseFilter) =>
      (async function* () {
        const byStatus = filter?.status === undefined ? undefined : { status: filter.status };
        for await (const license of base.list(byStatus)) {
          const c = columns.get(license.key.toUpperCase());
          if (c === undefined) continue;
          if (
            (filter?.email === undefined || c.email === filter.email) &&
            (filter?.productId === undefined || c.productId === filter.productId) &&
            (filter?.subscriptionId === undefined || c.subscriptionId === filter.subscriptionId) &&
            (filter?.purchaseSource === undefined || c.purchaseSource === filter.purchaseSource)
          ) {
            yield license;
          }
        }
      })(),
  };
});

describe('list filters on fields that update changed (subscriptionId, email, productId)', () => {
  it('a store whose list() index is not maintained by update() fails list-filters-follow-updates', async () => {
    // The bug is real: the manager links a Lemon Squeezy subscription to the order's license with
    // update(), then finds the license of a renewal with list({ purchaseSource, subscriptionId }).
    const clock = fakeClock('2025-01-01T00:00:00Z');
    const manager = new LicenseManager({
      storage: brokenStorage(staleIndexAfterUpdate),
      clock,
      plans: () => ({ durationDays: 30, maxDevices: 1 }),
    });
    const order = purchaseEventFixture({
      purchase: { source: 'lemonsqueezy', saleId: 'order-1', isRecurring: true },
    });
    const { license } = await manager.handlePurchaseEvent(order);
    await manager.handlePurchaseEvent(
      purchaseEventFixture({ purchase: { ...order.purchase, subscriptionId: 'sub-9' } }),
    );
    clock.advance({ days: 29 });
    const renewal = await manager.handlePurchaseEvent(
      purchaseEventFixture({
        type: 'renewal',
        occurredAt: clock().toISOString(),
        purchase: { ...order.purchase, saleId: 'invoice-2', subscriptionId: 'sub-9' },
      }),
    );
    clock.advance({ days: 5 });
    expect(renewal.action).not.toBe('renewed'); // memoryStorage: 'renewed'
    expect((await manager.validate(license!.key)).code).toBe('EXPIRED'); // a paying subscriber

    await expectCaseCatches(
      'list-filters-follow-updates',
      'index columns not maintained by update',
      staleIndexAfterUpdate,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Filter fields that are present but `undefined` treated as constraints (a WHERE built from
// Object.entries(filter), binding undefined as NULL).

const emptyWhenAnyUndefined = <T>(filter: object | undefined, items: () => AsyncIterable<T>) =>
  (async function* () {
    if (filter !== undefined && Object.values(filter).some((value) => value === undefined)) return;
    yield* items();
  })();

const undefinedFieldsConstrain: Flaw = (handle) => ({
  licenses: {
    ...handle.licenses,
    list: (filter) => emptyWhenAnyUndefined(filter, () => handle.licenses.list(filter)),
  },
  purchases: {
    ...handle.purchases,
    scan: (filter) => emptyWhenAnyUndefined(filter, () => handle.purchases.scan(filter)),
  },
});

describe('filters whose optional fields are present but undefined', () => {
  it('a store that treats { email: undefined } as "email must be undefined" fails filters-ignore-undefined-fields', async () => {
    const storage = brokenStorage(undefinedFieldsConstrain);
    const manager = new LicenseManager({ storage });
    await storage.licenses.insert(licenseFixture({ productId: 'app' }));
    await storage.purchases.append(purchaseRecordFixture());
    // Library code passes such filters: findLicenses forwards the caller's filter, and the CLI's
    // purchaseQuery({}) builds { source: undefined, email: undefined, ... } for PurchaseAuditLog.query.
    expect(await collect(manager.findLicenses({ email: undefined, productId: 'app' }))).toEqual([]);
    const audit = new PurchaseAuditLog({ storage });
    expect(await collect(audit.query(purchaseQuery({})))).toEqual([]);
    // memoryStorage (and matchesLicenseFilter/matchesAuditFilter) treat undefined as absent:
    const memory = memoryStorage();
    await memory.purchases.append(purchaseRecordFixture());
    expect(await collect(new PurchaseAuditLog({ storage: memory }).query(purchaseQuery({})))).toHaveLength(1);

    await expectCaseCatches(
      'filters-ignore-undefined-fields',
      'undefined filter fields constrain',
      undefinedFieldsConstrain,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// list/scan that return one page only (LIMIT without a cursor; KV list() without `cursor`).

const take = <T>(n: number, items: AsyncIterable<T>) =>
  (async function* () {
    let i = 0;
    for await (const item of items) {
      if (i++ >= n) return;
      yield item;
    }
  })();

const firstPageOnly: Flaw = (handle) => ({
  licenses: { ...handle.licenses, list: (filter) => take(100, handle.licenses.list(filter)) },
  purchases: { ...handle.purchases, scan: (filter) => take(100, handle.purchases.scan(filter)) },
});

describe('list/scan over more than one page', () => {
  it('a store whose list() and scan() stop after 100 rows fails list- and scan-returns-every-page', async () => {
    const storage = brokenStorage(firstPageOnly);
    for (let i = 0; i < 101; i++) await storage.licenses.insert(licenseFixture());
    expect(await collect(storage.licenses.list())).toHaveLength(100); // 101 stored
    for (let i = 0; i < 101; i++) await storage.purchases.append(purchaseRecordFixture());
    expect(await collect(storage.purchases.scan())).toHaveLength(100); // 101 appended

    const failed = await failingCaseIds(handleOptions('list/scan truncated at 100', firstPageOnly));
    expect([...failed.keys()]).toEqual(
      expect.arrayContaining(['list-returns-every-page', 'scan-returns-every-page']),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Sale uniqueness on purchaseId alone (UNIQUE(purchase_id), the source forgotten: `saleUniqueOnIdOnly`).

/** Sale uniqueness on `source:purchaseId` joined into one string (a KV key, one indexed column). */
const saleJoinedWithColon: Flaw = patchLicenses((base, state) => {
  const sales = (state.get('sales') as Map<string, string> | undefined) ?? new Map<string, string>();
  state.set('sales', sales);
  const joined = (source: string, purchaseId: string) => `${source}:${purchaseId}`;
  return {
    getByPurchase: async (source, purchaseId) => {
      const key = sales.get(joined(source, purchaseId));
      return key === undefined ? null : base.get(key);
    },
    insert: async (license) => {
      const sale = joined(license.purchaseSource, license.purchaseId);
      const key = sales.get(sale);
      const existing = key === undefined ? null : await base.get(key);
      if (existing !== null) return { license: existing, created: false };
      const result = await base.insert(license);
      if (result.created) sales.set(sale, result.license.key);
      return result;
    },
  };
});

describe('insert idempotency is on (purchaseSource, purchaseId), not purchaseId alone', () => {
  it('a store that ignores purchaseSource on insert fails sale-is-source-and-id', async () => {
    const storage = brokenStorage(saleUniqueOnIdOnly);
    const lemon = licenseFixture({ purchaseSource: 'lemonsqueezy', purchaseId: '1001' });
    const manual = licenseFixture({ purchaseSource: 'manual', purchaseId: '1001' });
    await storage.licenses.insert(lemon);
    // Another buyer's sale is answered with the first buyer's license.
    expect(await storage.licenses.insert(manual)).toEqual({ license: lemon, created: false });

    await expectCaseCatches('sale-is-source-and-id', 'sale unique on purchaseId alone', saleUniqueOnIdOnly);
    // (shop:eu, 1001) and (shop, eu:1001) are two sales that join to one string.
    const joined = brokenStorage(saleJoinedWithColon);
    await joined.licenses.insert(licenseFixture({ purchaseSource: 'shop:eu', purchaseId: '1001' }));
    expect(
      (await joined.licenses.insert(licenseFixture({ purchaseSource: 'shop', purchaseId: 'eu:1001' })))
        .created,
    ).toBe(false);
    await expectCaseCatches('sale-is-source-and-id', 'sale unique on source:purchaseId', saleJoinedWithColon);
  });
});

// ---------------------------------------------------------------------------------------------
// Case-insensitive collation on sale ids and event ids (MySQL's default *_ci collations,
// COLLATE NOCASE, or folding every index like the key index).

const fold = (text: string) => text.toLowerCase();

const caseInsensitiveIds: Flaw = (handle) => ({
  licenses: {
    ...handle.licenses,
    getByPurchase: async (source, purchaseId) => {
      for await (const other of handle.licenses.list({ purchaseSource: source })) {
        if (fold(other.purchaseId) === fold(purchaseId)) return other;
      }
      return null;
    },
    insert: async (license) => {
      for await (const other of handle.licenses.list({ purchaseSource: license.purchaseSource })) {
        if (fold(other.purchaseId) === fold(license.purchaseId)) return { license: other, created: false };
      }
      return handle.licenses.insert(license);
    },
  },
  purchases: {
    ...handle.purchases,
    has: async (record) => {
      for await (const other of handle.purchases.scan()) {
        if (fold(auditDedupeKey(other)) === fold(auditDedupeKey(record))) return true;
      }
      return false;
    },
    append: async (record: AuditRecord) => {
      for await (const other of handle.purchases.scan()) {
        if (fold(auditDedupeKey(other)) === fold(auditDedupeKey(record))) return false;
      }
      return handle.purchases.append(record);
    },
  },
});

/** The same collation, on event ids only: the license side works. */
const caseInsensitiveEventIds: Flaw = (handle, state) => ({
  ...caseInsensitiveIds(handle, state),
  licenses: handle.licenses,
});

describe('sale ids and event ids compare exactly', () => {
  it('a store that folds the case of purchaseId and eventId fails ids-compare-exactly', async () => {
    const storage = brokenStorage(caseInsensitiveIds);
    await storage.licenses.insert(licenseFixture({ purchaseSource: 'stripe', purchaseId: 'pi_3AbC' }));
    const second = await storage.licenses.insert(
      licenseFixture({ purchaseSource: 'stripe', purchaseId: 'pi_3aBc' }),
    );
    expect(second.created).toBe(false); // a different Stripe payment
    await storage.purchases.append(purchaseRecordFixture({ event: { eventId: 'evt_1Ab' } }));
    expect(await storage.purchases.append(purchaseRecordFixture({ event: { eventId: 'evt_1aB' } }))).toBe(
      false,
    );

    await expectCaseCatches('ids-compare-exactly', 'case-insensitive sale and event ids', caseInsensitiveIds);
    await expectCaseCatches('ids-compare-exactly', 'case-insensitive event ids', caseInsensitiveEventIds);
  });
});

// ---------------------------------------------------------------------------------------------
// update serialized by a per-key lock keyed on the key text as given (`lockOnKeyText`): two
// spellings of one key race.

describe('update is serialized per license, however its key is spelled', () => {
  it('a store that locks on the key text as given fails update-serialized-across-key-spellings', async () => {
    const storage = brokenStorage(lockOnKeyText);
    const license = licenseFixture({ maxDevices: 3 });
    await storage.licenses.insert(license);
    const spellings = [license.key, license.key.toLowerCase()];
    const candidates = Array.from({ length: 12 }, () => deviceFixture());
    const results = await Promise.all(
      candidates.map((device, i) =>
        storage.licenses.update(spellings[i % 2]!, (current) =>
          current.devices.length < current.maxDevices
            ? { ...current, devices: [...current.devices, device] }
            : current,
        ),
      ),
    );
    // Two serial chains read the same state: more callers than seats are told their device is
    // bound (memoryStorage: exactly 3), and the store lost some of those bindings.
    const told = candidates.filter((device, i) =>
      results[i]?.devices.some((bound) => bound.hardwareId === device.hardwareId),
    );
    expect(told.length).toBeGreaterThan(3);

    await expectCaseCatches(
      'update-serialized-across-key-spellings',
      'update lock keyed on key text',
      lockOnKeyText,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// What the suite cannot check: a scan that reads the whole log into memory before yielding breaks
// "Streams: memory does not grow with the log", but yields the same records in the same order.

let bufferedBeforeFirstRecord = 0;

const scanBuffersWholeLog: Flaw = patchPurchases((base) => ({
  scan: (filter) =>
    (async function* () {
      const all = await collect(base.scan(filter));
      bufferedBeforeFirstRecord = all.length;
      yield* all;
    })(),
}));

describe('scan streams', () => {
  it('is beyond the suite: a store whose scan() buffers the whole log passes every case', async () => {
    const storage: Storage = brokenStorage(scanBuffersWholeLog);
    for (let i = 0; i < 5; i++) await storage.purchases.append(purchaseRecordFixture());
    const iterator = storage.purchases.scan()[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.return?.();
    expect(bufferedBeforeFirstRecord).toBe(5); // the whole log, to yield one record

    // The LicenseStore doc comment says so; if a case ever catches this, update that comment.
    expect(await failingCaseIds(handleOptions('scan buffers the whole log', scanBuffersWholeLog))).toEqual(
      new Map(),
    );
  });
});
