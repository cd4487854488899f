/** Storage conformance cases for durability: state across a reopen, telemetry on close, a closed store. */
import { type AuditRecord, createdRecordId, type PurchaseRecord } from '../../domain/audit-record.js';
import type { License } from '../../domain/license.js';
import { assertEqual, assertRejects } from '../_assert.js';
import { deviceFixture, licenseFixture, licenseRecordFixture, purchaseRecordFixture } from '../fixtures.js';
import type { StorageConformanceCase } from '../storage-conformance.js';
import { at, bindDevice, collect, idsOf, mixedCase, pick, recordValidation } from './_helpers.js';

/**
 * `state-survives-reopen`: Licenses, records, dedupe and idempotency are all still there after closing and
 * reopening.
 */
export const stateSurvivesReopen: StorageConformanceCase = {
  id: 'state-survives-reopen',
  title: 'licenses, records, dedupe and idempotency survive a reopen',
  needsReopen: true,
  run: async (ctx) => {
    let { licenses, purchases } = ctx.storage;
    const a = licenseFixture({ key: mixedCase(licenseFixture().key), maxDevices: 2 });
    const b = licenseFixture({ purchaseSource: 'stripe', subscriptionId: 'sub_1', productId: 'pro' });
    const c = licenseFixture({ email: 'c@example.com' });
    for (const license of [a, b, c]) await licenses.insert(license);
    const device = deviceFixture();
    await licenses.update(a.key, bindDevice(device));
    await licenses.update(c.key, (current) => ({ ...current, status: 'revoked', statusReason: 'refunded' }));
    const aBound: License = { ...a, devices: [device] };
    const cRevoked: License = { ...c, status: 'revoked', statusReason: 'refunded' };
    const records: AuditRecord[] = [
      purchaseRecordFixture({ licenseKey: a.key }),
      licenseRecordFixture({ licenseKey: a.key, action: 'device_activated', actor: 'user', reason: null }),
      purchaseRecordFixture({ event: { type: 'renewal', purchase: { source: 'stripe' } } }),
      licenseRecordFixture({ licenseKey: c.key, action: 'revoked', reason: 'refunded' }),
      // Each license's `created` record, as the manager writes it: a storage that reconciles on open
      // (as `fileStorage` does) finds nothing to add.
      ...[a, b, c].map((license) =>
        licenseRecordFixture({ id: createdRecordId(license), licenseKey: license.key, action: 'created' }),
      ),
    ];
    for (const record of records) await purchases.append(record);
    assertEqual(await collect(() => licenses.list()), [aBound, b, cRevoked], 'list() before reopening');

    ({ licenses, purchases } = await ctx.reopen());
    assertEqual(await collect(() => licenses.list()), [aBound, b, cRevoked], 'list() after reopening');
    assertEqual(await collect(() => purchases.scan()), records, 'scan() after reopening');
    assertEqual(await licenses.get(a.key.toLowerCase()), aBound, 'get by lower-cased key after reopening');
    assertEqual(
      await licenses.getByPurchase(b.purchaseSource, b.purchaseId),
      b,
      'getByPurchase after reopening',
    );
    assertEqual(
      await collect(() => licenses.list({ subscriptionId: 'sub_1' })),
      [b],
      'list(filter) after reopening',
    );
    assertEqual(
      await collect(() => licenses.list({ status: 'revoked' })),
      [cRevoked],
      'list(status) after reopening',
    );
    assertEqual(
      idsOf(await collect(() => purchases.scan({ licenseKey: a.key.toUpperCase() }))),
      idsOf(pick(records, [0, 1, 4])),
      'scan(licenseKey) after reopening',
    );
    for (const record of records) {
      assertEqual(
        await purchases.has(record),
        true,
        `has of an appended ${record.kind} record after reopening`,
      );
    }

    const first = records[0] as PurchaseRecord;
    assertEqual(
      await purchases.has(purchaseRecordFixture({ event: { ...first.event } })),
      true,
      'has of a redelivered event after reopening',
    );
    assertEqual(await purchases.has(licenseRecordFixture()), false, 'has of a new record after reopening');
    assertEqual(await purchases.append(first), false, 'the same record appended after reopening');
    assertEqual(
      await purchases.append(purchaseRecordFixture({ event: { ...first.event } })),
      false,
      'a redelivered event appended after reopening',
    );
    assertEqual(
      await licenses.insert(licenseFixture({ purchaseSource: a.purchaseSource, purchaseId: a.purchaseId })),
      { license: aBound, created: false },
      'insert of a stored sale after reopening',
    );
    await assertRejects(
      () => licenses.insert(licenseFixture({ key: b.key.toLowerCase() })),
      'INVALID_INPUT',
      'insert of a stored key for another sale after reopening',
    );
    const d = licenseFixture();
    assertEqual(
      await licenses.insert(d),
      { license: d, created: true },
      'insert of a new sale after reopening',
    );
    const secondDevice = deviceFixture();
    const bBound: License = { ...b, devices: [secondDevice] };
    assertEqual(await licenses.update(b.key, bindDevice(secondDevice)), bBound, 'update after reopening');
    const later = licenseRecordFixture({ licenseKey: d.key });
    assertEqual(await purchases.append(later), true, 'append of a new record after reopening');

    ({ licenses, purchases } = await ctx.reopen());
    assertEqual(
      await collect(() => licenses.list()),
      [aBound, bBound, cRevoked, d],
      'list() after a second reopen',
    );
    assertEqual(await collect(() => purchases.scan()), [...records, later], 'scan() after a second reopen');
    assertEqual(
      await purchases.has(later),
      true,
      'has of a record appended after reopening, after a second reopen',
    );
  },
};

/**
 * `telemetry-survives-close`: Validation telemetry written behind is readable at once and written by
 * `close()`.
 */
export const telemetrySurvivesClose: StorageConformanceCase = {
  id: 'telemetry-survives-close',
  title: 'validation telemetry is readable at once and written by close()',
  needsReopen: true,
  run: async (ctx) => {
    let { licenses } = ctx.storage;
    const device = deviceFixture();
    const license = licenseFixture({ maxDevices: 2, devices: [device] });
    await licenses.insert(license);
    for (const day of [1, 2, 3]) await licenses.update(license.key, recordValidation(at(day)));
    await licenses.update(license.key, (current) => ({ ...current, maxDevices: 3 }));
    for (const day of [4, 5]) await licenses.update(license.key, recordValidation(at(day)));
    const other = licenseFixture();
    await licenses.insert(other);
    await licenses.update(other.key, recordValidation(at(6)));
    const expected: License = {
      ...license,
      maxDevices: 3,
      lastValidatedAt: at(5),
      validationCount: 5,
      devices: [{ ...device, lastSeenAt: at(5) }],
    };
    const otherExpected: License = { ...other, lastValidatedAt: at(6), validationCount: 1 };
    assertEqual(await licenses.get(license.key), expected, 'get sees telemetry updates at once');
    assertEqual(
      await collect(() => licenses.list()),
      [expected, otherExpected],
      'list() sees telemetry at once',
    );

    ({ licenses } = await ctx.reopen());
    assertEqual(await licenses.get(license.key), expected, 'telemetry after close and reopen');
    assertEqual(await licenses.get(other.key), otherExpected, 'telemetry of a second license after reopen');
  },
};

/** `closed-store-rejects`: After `close()`, every call rejects with `STORAGE_CLOSED`. */
export const closedStoreRejects: StorageConformanceCase = {
  id: 'closed-store-rejects',
  title: 'a closed store rejects every call with STORAGE_CLOSED',
  run: async ({ storage }) => {
    const { licenses, purchases } = storage;
    const license = licenseFixture();
    await licenses.insert(license);
    const record = purchaseRecordFixture();
    await purchases.append(record);
    await licenses.close();
    await purchases.close();
    let mutateCalls = 0;
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['licenses.get', () => licenses.get(license.key)],
      ['licenses.getByPurchase', () => licenses.getByPurchase(license.purchaseSource, license.purchaseId)],
      ['licenses.insert', () => licenses.insert(licenseFixture())],
      [
        'licenses.update',
        () =>
          licenses.update(license.key, (current) => {
            mutateCalls += 1;
            return current;
          }),
      ],
      ['licenses.list', () => collect(() => licenses.list())],
      ['purchases.append', () => purchases.append(purchaseRecordFixture())],
      ['purchases.has', () => purchases.has(record)],
      ['purchases.scan', () => collect(() => purchases.scan())],
    ];
    for (const [name, call] of calls) {
      await assertRejects(call, 'STORAGE_CLOSED', `${name} after close()`);
    }
    assertEqual(mutateCalls, 0, 'update on a closed store must not call mutate');
  },
};
