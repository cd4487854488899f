/** Storage conformance cases for the purchase log: append, dedupe, has and scan. */
import type { AuditRecord, LicenseAction, LicenseRecord, PurchaseRecord } from '../../domain/audit-record.js';
import type { PurchaseEventType } from '../../domain/purchase.js';
import type { AuditFilter } from '../../ports/storage.js';
import { assertEqual, assertRejects } from '../_assert.js';
import { licenseFixture, licenseRecordFixture, purchaseRecordFixture } from '../fixtures.js';
import type { StorageConformanceCase } from '../storage-conformance.js';
import { at, collect, idsOf, mixedCase, pick, withDescendingIds } from './_helpers.js';

/**
 * `append-dedupes-events`: `append` is idempotent on the dedupe key (purchase `source + eventId`, license
 * record `id`) and rejects invalid records.
 */
export const appendDedupesEvents: StorageConformanceCase = {
  id: 'append-dedupes-events',
  title: 'append is idempotent on source + eventId and on a license record id, rejects invalid records',
  run: async ({ storage }) => {
    const { purchases } = storage;
    const first = purchaseRecordFixture();
    const { eventId } = first.event;
    const { source } = first.event.purchase;
    assertEqual(await purchases.append(first), true, 'first append of an event');
    assertEqual(await purchases.append(first), false, 'the same record appended again');
    const redelivered = purchaseRecordFixture({
      recordedAt: at(1),
      event: { type: 'refund', eventId, purchase: { source } },
    });
    assertEqual(await purchases.append(redelivered), false, 'another record for the same source + eventId');
    const otherSource = purchaseRecordFixture({ event: { eventId, purchase: { source: 'stripe' } } });
    assertEqual(await purchases.append(otherSource), true, 'the same eventId from another source');
    const created = licenseRecordFixture();
    const twin = licenseRecordFixture({
      licenseKey: created.licenseKey,
      action: created.action,
      recordedAt: created.recordedAt,
    });
    assertEqual(await purchases.append(created), true, 'a license record');
    assertEqual(await purchases.append(twin), true, 'an identical license record with another id');
    assertEqual(await purchases.append(created), false, 'the same license record appended again');
    assertEqual(
      await purchases.append({ ...created, reason: 'retried', actor: 'retry' }),
      false,
      'another license record with the same id',
    );
    assertEqual(
      await collect(() => purchases.scan({ kind: 'license' })),
      [created, twin],
      'scan() holds a license record appended twice once',
    );

    const badEmail = purchaseRecordFixture({ event: { purchase: { email: 'Upper@Example.com' } } });
    const emptyKey: LicenseRecord = { ...licenseRecordFixture(), licenseKey: '' };
    const rejected: Array<[string, AuditRecord]> = [
      ['a non-normalized email', badEmail],
      ['an empty license key', emptyKey],
      ['a bad recordedAt', licenseRecordFixture({ recordedAt: 'now' })],
      ['an unknown action', { ...licenseRecordFixture(), action: 'exploded' as LicenseAction }],
      ['an unknown kind', { ...licenseRecordFixture(), kind: 'note' } as unknown as AuditRecord],
    ];
    for (const [what, record] of rejected) {
      await assertRejects(() => purchases.append(record), 'INVALID_INPUT', `append of a record with ${what}`);
    }
    const fixed: PurchaseRecord = {
      ...badEmail,
      event: { ...badEmail.event, purchase: { ...badEmail.event.purchase, email: 'upper@example.com' } },
    };
    assertEqual(
      await purchases.append(fixed),
      true,
      'a rejected record must not use up its source + eventId',
    );
    const fixedLicense: LicenseRecord = { ...emptyKey, licenseKey: created.licenseKey };
    assertEqual(
      await purchases.append(fixedLicense),
      true,
      'a rejected license record must not use up its id',
    );
    assertEqual(
      await collect(() => purchases.scan()),
      [first, otherSource, created, twin, fixed, fixedLicense],
      'scan() holds each appended record once, and no rejected one',
    );
  },
};

/** The records of the scan case: append order differs from both id order and recordedAt order. */
function scanRecords(k1: string, k2: string): AuditRecord[] {
  const purchase = (
    source: string,
    type: PurchaseEventType,
    email: string,
    productId: string,
    day: number,
    licenseKey: string | null,
  ): PurchaseRecord =>
    purchaseRecordFixture({
      recordedAt: at(day),
      licenseKey,
      event: { type, purchase: { source, email, productId } },
    });
  const license = (action: LicenseAction, licenseKey: string, day: number): LicenseRecord =>
    licenseRecordFixture({ action, licenseKey, recordedAt: at(day), actor: 'admin', reason: 'test' });
  const records: AuditRecord[] = [
    purchase('gumroad', 'sale', 'a@example.com', 'app', 3, k1),
    purchase('stripe', 'sale', 'b@example.com', 'pro', 1, null),
    license('created', k1, 2),
    purchase('gumroad', 'refund', 'a@example.com', 'app', 5, k1),
    license('device_activated', k2, 4),
    purchase('stripe', 'renewal', 'c@example.com', 'app', 6, k2),
    license('revoked', k1, 0),
    purchase('paddle', 'sale', 'b@example.com', 'pro', 7, null),
    purchase('gumroad', 'dispute', 'c@example.com', 'pro', 8, k2),
  ];
  return withDescendingIds(records);
}

/** `scan-order-and-filters`: `scan` yields exactly the records matching each filter, in append order. */
export const scanOrderAndFilters: StorageConformanceCase = {
  id: 'scan-order-and-filters',
  title: 'scan returns exactly the matching records in append order',
  run: async ({ storage }) => {
    const { purchases } = storage;
    const k1 = licenseFixture().key;
    const k2 = mixedCase(licenseFixture().key);
    const records = scanRecords(k1, k2);
    for (const record of records) assertEqual(await purchases.append(record), true, 'append of a new record');
    assertEqual(
      await collect(() => purchases.scan()),
      records,
      'scan() returns every record in append order',
    );
    const expectations: Array<[AuditFilter | undefined, number[]]> = [
      [{}, [0, 1, 2, 3, 4, 5, 6, 7, 8]],
      [{ kind: 'purchase' }, [0, 1, 3, 5, 7, 8]],
      [{ kind: 'license' }, [2, 4, 6]],
      [{ source: 'gumroad' }, [0, 3, 8]],
      [{ source: 'stripe' }, [1, 5]],
      [{ type: 'sale' }, [0, 1, 7]],
      [{ type: 'refund' }, [3]],
      [{ action: 'created' }, [2]],
      [{ action: 'revoked' }, [6]],
      [{ action: 'device_activated' }, [4]],
      [{ licenseKey: k1 }, [0, 2, 3, 6]],
      [{ licenseKey: k1.toLowerCase() }, [0, 2, 3, 6]],
      [{ licenseKey: k2 }, [4, 5, 8]],
      [{ licenseKey: k2.toUpperCase() }, [4, 5, 8]],
      [{ email: 'b@example.com' }, [1, 7]],
      [{ email: 'A@EXAMPLE.COM' }, [0, 3]],
      [{ productId: 'pro' }, [1, 7, 8]],
      [{ since: at(4) }, [3, 4, 5, 7, 8]],
      [{ until: at(4) }, [0, 1, 2, 4, 6]],
      [{ since: at(4), until: at(4) }, [4]],
      [{ since: at(2), until: at(5) }, [0, 2, 3, 4]],
      [{ kind: 'purchase', source: 'gumroad', since: at(5) }, [3, 8]],
      [{ kind: 'license', licenseKey: k1.toLowerCase() }, [2, 6]],
      [{ email: 'b@example.com', productId: 'pro', type: 'sale' }, [1, 7]],
      [{ licenseKey: k2, kind: 'purchase', until: at(6) }, [5]],
      [{ source: 'gumroad', action: 'created' }, []],
      [{ type: 'sale', action: 'created' }, []],
      [{ source: 'nowhere' }, []],
      [{ since: at(9) }, []],
    ];
    for (const [filter, indexes] of expectations) {
      assertEqual(
        idsOf(await collect(() => purchases.scan(filter))),
        idsOf(pick(records, indexes)),
        `scan(${JSON.stringify(filter)})`,
      );
    }
    assertEqual(
      await collect(() => purchases.scan({ licenseKey: k2.toLowerCase() })),
      pick(records, [4, 5, 8]),
      'records found by a filter round-trip exactly',
    );
  },
};

/**
 * `concurrent-appends`: Concurrent appends each land exactly once; concurrent redeliveries of one event land
 * once.
 */
export const concurrentAppends: StorageConformanceCase = {
  id: 'concurrent-appends',
  title: 'concurrent appends each land exactly once',
  run: async ({ storage }) => {
    const { purchases } = storage;
    const distinct: AuditRecord[] = Array.from({ length: 50 }, (_, i) =>
      i % 3 === 0 ? licenseRecordFixture() : purchaseRecordFixture({ recordedAt: at(i % 7) }),
    );
    const appended = await Promise.all(distinct.map((record) => purchases.append(record)));
    assertEqual(
      appended,
      distinct.map(() => true),
      '50 concurrent appends of distinct records',
    );
    const stored = await collect(() => purchases.scan());
    assertEqual(stored.length, 50, 'records stored after 50 concurrent appends');
    assertEqual(
      [...idsOf(stored)].sort(),
      [...idsOf(distinct)].sort(),
      'ids stored after concurrent appends',
    );
    for (const record of stored) {
      assertEqual(
        record,
        distinct.find((candidate) => candidate.id === record.id),
        'a concurrently appended record',
      );
    }

    const event = purchaseRecordFixture({ event: { purchase: { source: 'stripe' } } }).event;
    const redeliveries = Array.from({ length: 10 }, (_, i) =>
      purchaseRecordFixture({ recordedAt: at(i), event: { ...event, purchase: event.purchase } }),
    );
    const results = await Promise.all(redeliveries.map((record) => purchases.append(record)));
    assertEqual(
      results.filter((result) => result).length,
      1,
      '10 concurrent appends of one event: number true',
    );
    const winner = redeliveries[results.indexOf(true)]!;
    const stripe = await collect(() => purchases.scan({ source: 'stripe' }));
    assertEqual(stripe, [winner], 'the one stored record of a concurrently redelivered event');
    assertEqual((await collect(() => purchases.scan())).length, 51, 'records stored in all');
  },
};

/** `has-reports-stored-records`: `has` is true exactly when a record with the same dedupe key is stored. */
export const hasReportsStoredRecords: StorageConformanceCase = {
  id: 'has-reports-stored-records',
  title: 'has reports whether a record with the same dedupe key is stored, and writes nothing',
  run: async ({ storage }) => {
    const { purchases } = storage;
    const sale = purchaseRecordFixture();
    const { eventId } = sale.event;
    const { source } = sale.event.purchase;
    assertEqual(await purchases.has(sale), false, 'has of a purchase record before appending it');
    assertEqual(await purchases.append(sale), true, 'append after has (has must not use up the event)');
    assertEqual(await purchases.has(sale), true, 'has of an appended purchase record');
    assertEqual(await purchases.has(structuredClone(sale)), true, 'has of a copy of an appended record');
    const redelivered = purchaseRecordFixture({
      recordedAt: at(1),
      event: { type: 'refund', eventId, purchase: { source } },
    });
    assertEqual(
      await purchases.has(redelivered),
      true,
      'has of another record for the same source + eventId',
    );
    const otherSource = purchaseRecordFixture({ event: { eventId, purchase: { source: 'stripe' } } });
    assertEqual(await purchases.has(otherSource), false, 'has of the same eventId under another source');
    const otherEvent = purchaseRecordFixture({ event: { purchase: { source } } });
    assertEqual(await purchases.has(otherEvent), false, 'has of another event from the same source');
    assertEqual(
      await purchases.has(licenseRecordFixture({ id: sale.id })),
      false,
      'has of a license record with the id of a stored purchase record',
    );

    const created = licenseRecordFixture();
    assertEqual(await purchases.has(created), false, 'has of a license record before appending it');
    assertEqual(await purchases.append(created), true, 'append of a license record after has');
    assertEqual(await purchases.has(created), true, 'has of an appended license record');
    assertEqual(
      await purchases.has({ ...created, reason: 'retried', actor: 'retry' }),
      true,
      'has of another license record with the same id',
    );
    const twin = licenseRecordFixture({
      licenseKey: created.licenseKey,
      action: created.action,
      recordedAt: created.recordedAt,
    });
    assertEqual(await purchases.has(twin), false, 'has of an identical license record with another id');
    assertEqual(
      await purchases.has(purchaseRecordFixture({ id: created.id })),
      false,
      'has of a purchase record with the id of a stored license record',
    );

    assertEqual(
      await collect(() => purchases.scan()),
      [sale, created],
      'scan() holds only the appended records (has writes nothing)',
    );

    const event = purchaseRecordFixture({ event: { purchase: { source: 'paddle' } } }).event;
    const redeliveries = Array.from({ length: 10 }, (_, i) =>
      purchaseRecordFixture({ recordedAt: at(i), event: { ...event, purchase: event.purchase } }),
    );
    await Promise.all(redeliveries.map((record) => purchases.append(record)));
    for (const record of redeliveries) {
      assertEqual(await purchases.has(record), true, 'has after 10 concurrent appends of one event');
    }
  },
};
