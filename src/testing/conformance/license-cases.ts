/** Storage conformance cases for reading and inserting licenses. */
import type { License } from '../../domain/license.js';
import type { LicenseMutation } from '../../ports/storage.js';
import { assertEqual, assertRejects, assertResolves, assertTrue } from '../_assert.js';
import { deviceFixture, licenseFixture } from '../fixtures.js';
import type { StorageConformanceCase } from '../storage-conformance.js';
import { collect, invalid, keysOf, mixedCase } from './_helpers.js';

/**
 * `misses-return-null`: Misses (unknown keys, sales, empty stores and logs) return `null` or nothing and
 * never throw.
 */
export const missesReturnNull: StorageConformanceCase = {
  id: 'misses-return-null',
  title: 'misses return null and empty stores yield nothing',
  run: async ({ storage }) => {
    const { licenses, purchases } = storage;
    let mutateCalls = 0;
    const countingMutation: LicenseMutation = (current) => {
      mutateCalls += 1;
      return current;
    };
    const misses: Array<[string, () => Promise<unknown>, unknown]> = [
      ['get of an unknown key on an empty store', () => licenses.get('LK-NO-SUCH-KEY'), null],
      ['getByPurchase on an empty store', () => licenses.getByPurchase('gumroad', 'no-such-sale'), null],
      [
        'update of an unknown key on an empty store',
        () => licenses.update('LK-NO-SUCH-KEY', countingMutation),
        null,
      ],
      ['list() of an empty store', () => collect(() => licenses.list()), []],
      ['list(filter) of an empty store', () => collect(() => licenses.list({ productId: 'app' })), []],
      ['scan() of an empty log', () => collect(() => purchases.scan()), []],
      ['scan(filter) of an empty log', () => collect(() => purchases.scan({ kind: 'purchase' })), []],
    ];
    for (const [what, call, expected] of misses)
      assertEqual(await assertResolves(call, what), expected, what);
    assertEqual(mutateCalls, 0, 'update of an unknown key must not call mutate');

    const stored = licenseFixture();
    await licenses.insert(stored);
    const storedMisses: Array<[string, () => Promise<unknown>]> = [
      ['get of a key extending a stored key', () => licenses.get(`${stored.key}-X`)],
      ['get of a prefix of a stored key', () => licenses.get(stored.key.slice(0, -1))],
      [
        'getByPurchase of another sale id',
        () => licenses.getByPurchase(stored.purchaseSource, `${stored.purchaseId}-other`),
      ],
      [
        'getByPurchase of a stored sale id under another source',
        () => licenses.getByPurchase('stripe', stored.purchaseId),
      ],
      ['update of another key', () => licenses.update(`${stored.key}-X`, countingMutation)],
    ];
    for (const [what, call] of storedMisses) assertEqual(await assertResolves(call, what), null, what);
    assertEqual(mutateCalls, 0, 'update of an unknown key must not call mutate');
    assertEqual(await licenses.get(stored.key), stored, 'the stored license after the misses');
  },
};

/**
 * `license-round-trip`: A license reads back exactly as inserted, by its key in any letter case and by its
 * sale.
 */
export const licenseRoundTrip: StorageConformanceCase = {
  id: 'license-round-trip',
  title: 'a license round-trips exactly and keys are found case-insensitively',
  run: async ({ storage }) => {
    const { licenses } = storage;
    const sparse = licenseFixture({ key: mixedCase(licenseFixture().key) });
    const full = licenseFixture({
      key: mixedCase(licenseFixture().key),
      productId: 'pro',
      customerName: 'Zoë Ñandú "the buyer" \\ 😀',
      createdAt: '2024-01-31T23:59:59Z',
      expiresAt: '2030-01-01T00:00:00.123456789Z',
      status: 'suspended',
      statusReason: 'disputed',
      maxDevices: 3,
      devices: [
        deviceFixture({
          deviceName: null,
          activatedAt: '2024-02-01T10:00:00.123Z',
          lastSeenAt: '2024-02-02T10:00:00.5Z',
        }),
        deviceFixture({ deviceName: 'Work laptop ✓', activatedAt: '2024-02-03T00:00:00Z' }),
      ],
      lastValidatedAt: '2024-02-03T04:05:06.789Z',
      validationCount: 42,
      purchaseSource: 'stripe',
      subscriptionId: 'sub_123',
      deliveredAt: '2024-01-31T23:59:59.999Z',
    });
    for (const license of [sparse, full]) {
      const expected = structuredClone(license);
      assertEqual(await licenses.insert(license), { license: expected, created: true }, 'insert result');
      assertEqual(await licenses.get(license.key), expected, 'get by the stored key');
      assertEqual(await licenses.get(license.key.toLowerCase()), expected, 'get by the lower-cased key');
      assertEqual(await licenses.get(license.key.toUpperCase()), expected, 'get by the upper-cased key');
      assertEqual(
        await licenses.getByPurchase(license.purchaseSource, license.purchaseId),
        expected,
        'getByPurchase of its sale',
      );
    }
    assertEqual(await collect(() => licenses.list()), [sparse, full], 'list() after two inserts');
  },
};

/**
 * `licenses-are-not-live`: Changing a license the store took or handed out (the object given to
 * `insert`, or one `insert`, `get`, `getByPurchase`, `update` or `list` returned) changes nothing it
 * stores: it keeps copies, or hands out frozen records.
 */
export const licensesAreNotLive: StorageConformanceCase = {
  id: 'licenses-are-not-live',
  title: 'changing a license the store took or returned changes nothing it stores',
  run: async ({ storage }) => {
    const { licenses } = storage;
    const given = licenseFixture({ maxDevices: 3, devices: [deviceFixture()] });
    const stored = structuredClone(given);
    const { key, purchaseSource, purchaseId } = given;
    tamper((await licenses.insert(given)).license);
    tamper(given);
    tamper(await licenses.get(key));
    tamper(await licenses.getByPurchase(purchaseSource, purchaseId));
    for (const license of await collect(() => licenses.list())) tamper(license);
    assertEqual(
      await licenses.get(key),
      stored,
      'the license after its inserted and read copies were changed',
    );

    const suspended = { ...stored, status: 'suspended' as const, statusReason: 'manual' };
    tamper(
      await licenses.update(key, (current) => ({ ...current, status: 'suspended', statusReason: 'manual' })),
    );
    assertEqual(await licenses.get(key), suspended, 'the license after the copy update returned was changed');
  },
};

/** Tries to change `license` as careless code might; a frozen record refuses, which is fine. */
function tamper(license: License | null): void {
  if (license === null) return;
  const changes = [
    () => {
      license.email = 'tampered@example.com';
    },
    () => license.devices.push(deviceFixture({ hardwareId: 'tampered' })),
    () => {
      license.devices[0]!.hardwareId = 'tampered';
    },
  ];
  for (const change of changes) {
    try {
      change();
    } catch {
      // A frozen record throws in strict mode: the change did not happen.
    }
  }
}

/**
 * `insert-idempotent-on-sale`: A second insert for a stored sale, even a concurrent one or a retry of
 * the same license, returns the stored license with `created: false`.
 */
export const insertIdempotentOnSale: StorageConformanceCase = {
  id: 'insert-idempotent-on-sale',
  title: 'insert is idempotent on (purchaseSource, purchaseId), also under concurrency',
  run: async ({ storage }) => {
    const { licenses } = storage;
    const first = licenseFixture();
    assertEqual(await licenses.insert(first), { license: first, created: true }, 'first insert of a sale');
    const second = licenseFixture({
      purchaseSource: first.purchaseSource,
      purchaseId: first.purchaseId,
      email: 'someone-else@example.com',
    });
    assertEqual(
      await licenses.insert(second),
      { license: first, created: false },
      'a second insert for the same sale returns the first license',
    );
    assertEqual(await licenses.get(second.key), null, 'the second key of a sale must not be stored');
    // A retry of the very same insert is the same sale too (its key is the stored one's, so a store
    // that checks the key before the sale would refuse it).
    const message = 'a retried insert of the same license returns it';
    const retried = await assertResolves(() => licenses.insert({ ...first }), message);
    assertEqual(retried, { license: first, created: false }, message);
    assertEqual(keysOf(await collect(() => licenses.list())), [first.key], 'list() after a duplicate sale');

    const sale = licenseFixture({ purchaseSource: 'stripe' });
    const contenders = [
      sale,
      ...Array.from({ length: 19 }, () =>
        licenseFixture({ purchaseSource: sale.purchaseSource, purchaseId: sale.purchaseId }),
      ),
    ];
    const results = await Promise.all(contenders.map((license) => licenses.insert(license)));
    const created = results.filter((result) => result.created);
    assertEqual(created.length, 1, '20 concurrent inserts of one sale: number with created: true');
    const winnerKey = created[0]!.license.key;
    const winner = contenders.find((license) => license.key === winnerKey);
    assertTrue(winner !== undefined, `the created license has a key nobody inserted: ${winnerKey}`);
    for (const result of results) {
      assertEqual(
        result.license,
        winner,
        'every concurrent insert of one sale returns the one stored license',
      );
    }
    assertEqual(
      keysOf(await collect(() => licenses.list())),
      [first.key, winner.key],
      'list() after concurrent inserts',
    );
    for (const loser of contenders) {
      if (loser !== winner) assertEqual(await licenses.get(loser.key), null, 'a losing concurrent key');
    }
    assertEqual(
      await licenses.getByPurchase(sale.purchaseSource, sale.purchaseId),
      winner,
      'getByPurchase after concurrent inserts',
    );
  },
};

/**
 * `insert-rejects-duplicate-key`: Inserting a stored key (in any letter case) for another sale rejects with
 * `INVALID_INPUT`, also under concurrency.
 */
export const insertRejectsDuplicateKey: StorageConformanceCase = {
  id: 'insert-rejects-duplicate-key',
  title: 'insert rejects an existing key for another sale with INVALID_INPUT',
  run: async ({ storage }) => {
    const { licenses } = storage;
    const first = licenseFixture({ key: mixedCase(licenseFixture().key) });
    await licenses.insert(first);
    for (const key of [first.key, first.key.toLowerCase(), first.key.toUpperCase()]) {
      const clash = licenseFixture({ key });
      await assertRejects(
        () => licenses.insert(clash),
        'INVALID_INPUT',
        `insert of key ${key} for another sale`,
      );
      assertEqual(
        await licenses.getByPurchase(clash.purchaseSource, clash.purchaseId),
        null,
        'the rejected sale must not be stored',
      );
    }
    assertEqual(await licenses.get(first.key), first, 'the original license after the clashes');
    assertEqual(keysOf(await collect(() => licenses.list())), [first.key], 'list() after the clashes');

    const key = licenseFixture().key;
    const racers = Array.from({ length: 10 }, () => licenseFixture({ key }));
    const settled = await Promise.allSettled(racers.map((license) => licenses.insert(license)));
    const fulfilled = settled.filter((result) => result.status === 'fulfilled');
    assertEqual(
      fulfilled.length,
      1,
      '10 concurrent inserts of one key for different sales: number that succeed',
    );
    for (const result of settled) {
      if (result.status === 'fulfilled') {
        assertEqual(result.value.created, true, 'the one successful concurrent insert creates');
        continue;
      }
      await assertRejects(
        Promise.reject(result.reason),
        'INVALID_INPUT',
        'a losing concurrent insert of a key',
      );
    }
    const stored = await licenses.get(key);
    assertTrue(stored !== null, 'the key raced for is stored');
    const storedSales = (await collect(() => licenses.list())).filter((license) => license.key === key);
    assertEqual(storedSales.length, 1, 'licenses stored under the key raced for');
  },
};

/**
 * `insert-rejects-invalid-license`: Inserting an invalid license rejects with `INVALID_INPUT` and stores
 * nothing.
 */
export const insertRejectsInvalidLicense: StorageConformanceCase = {
  id: 'insert-rejects-invalid-license',
  title: 'insert rejects an invalid license with INVALID_INPUT and stores nothing',
  run: async ({ storage }) => {
    const { licenses } = storage;
    const { email: _email, ...withoutEmail } = licenseFixture();
    const dateOnly = licenseFixture({ createdAt: '2024-01-01' });
    const cases: Array<[string, License]> = [
      ['missing email', invalid(withoutEmail)],
      ['createdAt without a time', dateOnly],
      ['expiresAt not in UTC', licenseFixture({ expiresAt: '2024-01-01T00:00:00+02:00' })],
      ['negative maxDevices', licenseFixture({ maxDevices: -1 })],
      ['fractional validationCount', licenseFixture({ validationCount: 1.5 })],
      ['unknown status', invalid({ ...licenseFixture(), status: 'expired' })],
      ['blank key', licenseFixture({ key: '   ' })],
      [
        'device with a bad timestamp',
        licenseFixture({ devices: [deviceFixture({ activatedAt: 'yesterday' })] }),
      ],
      ['unknown property', invalid({ ...licenseFixture(), note: 'not part of a license' })],
    ];
    for (const [what, license] of cases) {
      await assertRejects(
        () => licenses.insert(license),
        'INVALID_INPUT',
        `insert of a license with ${what}`,
      );
      if (license.key.trim() !== '') {
        assertEqual(await licenses.get(license.key), null, `get after rejecting a license with ${what}`);
      }
      assertEqual(
        await licenses.getByPurchase(license.purchaseSource, license.purchaseId),
        null,
        `getByPurchase after rejecting a license with ${what}`,
      );
    }
    assertEqual(await collect(() => licenses.list()), [], 'list() after rejecting invalid licenses');
    const valid: License = { ...dateOnly, createdAt: '2024-01-01T00:00:00Z' };
    assertEqual(
      await licenses.insert(valid),
      { license: valid, created: true },
      'a valid license for a sale whose invalid license was rejected',
    );
  },
};
