/** Storage conformance cases for updating and listing licenses. */
import type { License } from '../../domain/license.js';
import type { LicenseFilter } from '../../ports/storage.js';
import { assertEqual, assertRejects, assertTrue } from '../_assert.js';
import { deviceFixture, licenseFixture } from '../fixtures.js';
import type { StorageConformanceCase } from '../storage-conformance.js';
import {
  at,
  bindDevice,
  collect,
  invalid,
  keysOf,
  mixedCase,
  pick,
  recordValidation,
  spellingOf,
} from './_helpers.js';

/**
 * `update-applies-mutation`: `update` applies and persists its mutation, and an unchanged result changes
 * nothing.
 */
export const updateAppliesMutation: StorageConformanceCase = {
  id: 'update-applies-mutation',
  title: 'update applies the mutation, persists it and writes nothing for an unchanged result',
  run: async ({ storage }) => {
    const { licenses } = storage;
    const original = licenseFixture({ key: mixedCase(licenseFixture().key), maxDevices: 2 });
    const neighbour = licenseFixture();
    await licenses.insert(original);
    await licenses.insert(neighbour);
    const device = deviceFixture();
    const seen: License[] = [];
    const updated = await licenses.update(original.key.toLowerCase(), (current) => {
      seen.push(structuredClone(current));
      return {
        ...current,
        status: 'suspended',
        statusReason: 'manual',
        devices: [...current.devices, device],
      };
    });
    const expected: License = { ...original, status: 'suspended', statusReason: 'manual', devices: [device] };
    assertTrue(seen.length >= 1, 'update must call mutate for an existing key');
    assertEqual(seen.at(-1), original, 'mutate receives the current license');
    assertEqual(updated, expected, 'update returns the new license (with the stored key text)');
    assertEqual(await licenses.get(original.key), expected, 'get after update');
    assertEqual(
      await licenses.getByPurchase(original.purchaseSource, original.purchaseId),
      expected,
      'getByPurchase after update',
    );
    assertEqual(await licenses.get(neighbour.key), neighbour, 'another license is untouched by update');

    assertEqual(await licenses.update(original.key, (current) => current), expected, 'an unchanged update');
    assertEqual(await licenses.get(original.key), expected, 'get after an unchanged update');

    const grown = await licenses.update(original.key.toUpperCase(), (current) => ({
      ...current,
      maxDevices: current.maxDevices + 1,
    }));
    assertEqual(grown, { ...expected, maxDevices: 3 }, 'a second update builds on the first');
    assertEqual(
      await collect(() => licenses.list()),
      [{ ...expected, maxDevices: 3 }, neighbour],
      'list() after updates keeps insertion order',
    );
  },
};

/**
 * `update-rejects-identity-change`: `update` rejects a new key or sale, or an invalid result, and a throwing
 * mutation, changing nothing.
 */
export const updateRejectsIdentityChange: StorageConformanceCase = {
  id: 'update-rejects-identity-change',
  title: 'update rejects changing the key or sale (INVALID_INPUT) or an invalid result, changing nothing',
  run: async ({ storage }) => {
    const { licenses } = storage;
    const original = licenseFixture();
    const other = licenseFixture();
    await licenses.insert(original);
    await licenses.insert(other);
    const changes: Array<[string, Record<string, unknown>]> = [
      ['a new key', { key: `${original.key}-CHANGED` }],
      ["another license's key", { key: other.key }],
      ['a new purchaseId', { purchaseId: `${original.purchaseId}-changed` }],
      ['a new purchaseSource', { purchaseSource: 'stripe' }],
      ["another license's sale", { purchaseSource: other.purchaseSource, purchaseId: other.purchaseId }],
      ['a negative maxDevices', { maxDevices: -1 }],
      ['a bad timestamp', { expiresAt: 'next year' }],
      ['an unknown status', { status: 'expired' }],
      // Telemetry too: a store that writes telemetry behind still checks its values.
      ['a negative validationCount', { validationCount: -1 }],
      ['a lastValidatedAt that is no timestamp', { lastValidatedAt: 'yesterday' }],
    ];
    for (const [what, change] of changes) {
      await assertRejects(
        () => licenses.update(original.key, (current) => invalid({ ...current, ...change })),
        'INVALID_INPUT',
        `update to ${what}`,
      );
      assertEqual(
        await licenses.get(original.key),
        original,
        `the license after rejecting an update to ${what}`,
      );
      assertEqual(
        await licenses.get(other.key),
        other,
        `the other license after rejecting an update to ${what}`,
      );
    }
    assertEqual(await licenses.get(`${original.key}-CHANGED`), null, 'get of a rejected new key');
    assertEqual(
      await licenses.getByPurchase(original.purchaseSource, `${original.purchaseId}-changed`),
      null,
      'getByPurchase of a rejected new sale',
    );
    assertEqual(
      await licenses.getByPurchase(other.purchaseSource, other.purchaseId),
      other,
      'getByPurchase of the other license',
    );

    const failure = new Error('mutate failed');
    let thrown: unknown;
    try {
      await licenses.update(original.key, () => {
        throw failure;
      });
    } catch (error) {
      thrown = error;
    }
    assertTrue(thrown === failure, 'update must reject with the error its mutate threw');
    assertEqual(await licenses.get(original.key), original, 'the license after a throwing mutate');
    assertEqual(await collect(() => licenses.list()), [original, other], 'list() after rejected updates');
  },
};

/**
 * `update-rejects-unknown-properties`: `update` rejects a result with a property a license (or a device)
 * does not have, also when only validation telemetry changed, which stores may check in a cheaper way.
 */
export const updateRejectsUnknownProperties: StorageConformanceCase = {
  id: 'update-rejects-unknown-properties',
  title:
    'update rejects unknown properties (INVALID_INPUT), also in a telemetry-only change, changing nothing',
  run: async ({ storage }) => {
    const { licenses } = storage;
    const original = licenseFixture({ devices: [deviceFixture()] });
    await licenses.insert(original);
    const validated = recordValidation(at(1));
    const results: Array<[string, (current: License) => Record<string, unknown>]> = [
      ['a telemetry-only change', (current) => ({ ...validated(current), note: 'x' })],
      [
        'a telemetry-only change of a device',
        (current) => {
          const next = validated(current);
          return { ...next, devices: next.devices.map((device) => ({ ...device, note: 'x' })) };
        },
      ],
      ['another change', (current) => ({ ...current, status: 'suspended', note: 'x' })],
    ];
    for (const [what, result] of results) {
      await assertRejects(
        () => licenses.update(original.key, (current) => invalid(result(current))),
        'INVALID_INPUT',
        `update to ${what} with an unknown property`,
      );
      assertEqual(
        await licenses.get(original.key),
        original,
        `the license after rejecting ${what} with an unknown property`,
      );
    }
    assertEqual(await collect(() => licenses.list()), [original], 'list() after the rejected updates');
  },
};

/**
 * `update-is-atomic`: Concurrent updates of one license are serialized (device seats, counters, telemetry).
 */
export const updateIsAtomic: StorageConformanceCase = {
  id: 'update-is-atomic',
  title: 'concurrent updates of one license are serialized',
  run: async ({ storage }) => {
    const { licenses } = storage;
    const seats = licenseFixture({ maxDevices: 3 });
    await licenses.insert(seats);
    const candidates = Array.from({ length: 12 }, () => deviceFixture());
    const bound = await Promise.all(
      candidates.map((device) => licenses.update(seats.key, bindDevice(device))),
    );
    const final = await licenses.get(seats.key);
    assertTrue(final !== null, 'the license after concurrent device bindings');
    assertEqual(final.devices.length, 3, '12 concurrent bindings against maxDevices 3: devices bound');
    const finalIds = final.devices.map((device) => device.hardwareId);
    assertEqual(new Set(finalIds).size, 3, 'distinct devices bound');
    for (const device of final.devices) {
      assertEqual(
        device,
        candidates.find((candidate) => candidate.hardwareId === device.hardwareId),
        'a bound device is one of the candidates, unchanged',
      );
    }
    const winners = candidates
      .filter((device, i) => bound[i]?.devices.some((seat) => seat.hardwareId === device.hardwareId) === true)
      .map((device) => device.hardwareId);
    assertEqual(
      [...winners].sort(),
      [...finalIds].sort(),
      'exactly the updates that bound a device see it in their result',
    );

    const counter = licenseFixture({ maxDevices: 1 });
    await licenses.insert(counter);
    const increments = await Promise.all(
      Array.from({ length: 10 }, () =>
        licenses.update(counter.key, (current) => ({ ...current, maxDevices: current.maxDevices + 1 })),
      ),
    );
    assertEqual(
      (await licenses.get(counter.key))?.maxDevices,
      11,
      '10 concurrent increments of maxDevices 1',
    );
    assertEqual(
      increments.map((license) => license?.maxDevices).sort((a, b) => (a ?? 0) - (b ?? 0)),
      [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
      'each concurrent increment returns its own step',
    );

    const validations = await Promise.all(
      Array.from({ length: 10 }, (_, i) => licenses.update(counter.key, recordValidation(at(i)))),
    );
    assertEqual(
      (await licenses.get(counter.key))?.validationCount,
      10,
      '10 concurrent telemetry updates of validationCount 0',
    );
    assertEqual(
      validations.map((license) => license?.validationCount).sort((a, b) => (a ?? 0) - (b ?? 0)),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      'each concurrent telemetry update returns its own step',
    );
  },
};

/**
 * `update-serialized-across-key-spellings`: Concurrent updates of one license are serialized however
 * its key is spelled (as stored, lower-case, upper-case): a lock or queue must be keyed on the lookup
 * form of the key, not on the text a caller passed.
 */
export const updateSerializedAcrossKeySpellings: StorageConformanceCase = {
  id: 'update-serialized-across-key-spellings',
  title: 'concurrent updates of one license are serialized however its key is spelled',
  run: async ({ storage }) => {
    const { licenses } = storage;
    const seats = licenseFixture({ key: mixedCase(licenseFixture().key), maxDevices: 3 });
    await licenses.insert(seats);
    const candidates = Array.from({ length: 12 }, () => deviceFixture());
    const bound = await Promise.all(
      candidates.map((device, i) => licenses.update(spellingOf(seats.key, i), bindDevice(device))),
    );
    const final = await licenses.get(seats.key);
    assertTrue(final !== null, 'the license after concurrent device bindings');
    assertEqual(
      final.devices.length,
      3,
      '12 concurrent bindings through 3 spellings of the key against maxDevices 3: devices bound',
    );
    const winners = candidates
      .filter((device, i) => bound[i]?.devices.some((seat) => seat.hardwareId === device.hardwareId) === true)
      .map((device) => device.hardwareId);
    assertEqual(
      [...winners].sort(),
      final.devices.map((device) => device.hardwareId).sort(),
      'exactly the updates that bound a device (through any spelling of the key) see it in their result',
    );

    const counter = licenseFixture({ key: mixedCase(licenseFixture().key), maxDevices: 1 });
    await licenses.insert(counter);
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        licenses.update(spellingOf(counter.key, i), (current) => ({
          ...current,
          maxDevices: current.maxDevices + 1,
        })),
      ),
    );
    assertEqual(
      await licenses.get(counter.key),
      { ...counter, maxDevices: 13 },
      '12 concurrent increments of maxDevices 1 through 3 spellings of the key',
    );
  },
};

/**
 * `list-yields-each-once`: `list` yields every license stored before it started exactly once, and
 * none twice, while licenses are inserted and updated between the items it yields.
 */
export const listYieldsEachOnce: StorageConformanceCase = {
  id: 'list-yields-each-once',
  title: 'list yields each license once while licenses are written during the iteration',
  run: async ({ storage }) => {
    const { licenses } = storage;
    const stored = Array.from({ length: 6 }, () => licenseFixture());
    for (const license of stored) await licenses.insert(license);
    const suspend = (current: License): License => ({
      ...current,
      status: 'suspended',
      statusReason: 'manual',
    });
    const seen: string[] = [];
    for await (const license of licenses.list()) {
      seen.push(license.key);
      if (seen.length !== 2) continue;
      await licenses.insert(licenseFixture());
      for (const license of pick(stored, [0, 3])) await licenses.update(license.key, suspend);
      for (const license of pick(stored, [1, 4])) await licenses.update(license.key, recordValidation(at(1)));
      await licenses.insert(licenseFixture());
    }
    const twice = seen.filter((key, i) => seen.indexOf(key) !== i);
    assertEqual(twice, [], 'licenses list() yielded more than once while licenses were written');
    assertEqual(
      seen.slice(0, stored.length),
      keysOf(stored),
      'list() yields the licenses stored before it started, in insertion order',
    );
  },
};

/** Rows of the list-filters case: product, email, status, source, subscriptionId. */
const listRows: ReadonlyArray<[string, string, License['status'], string, string | null]> = [
  ['app', 'a@example.com', 'active', 'gumroad', null],
  ['pro', 'b@example.com', 'active', 'stripe', 'sub_1'],
  ['app', 'c@example.com', 'suspended', 'gumroad', null],
  ['app', 'a@example.com', 'revoked', 'stripe', 'sub_2'],
  ['pro', 'a@example.com', 'active', 'gumroad', null],
  ['app', 'b@example.com', 'active', 'stripe', 'sub_1'],
  ['pro', 'c@example.com', 'revoked', 'gumroad', 'sub_2'],
  ['app', 'b@example.com', 'suspended', 'stripe', null],
  ['pro', 'a@example.com', 'active', 'stripe', 'sub_1'],
  ['app', 'c@example.com', 'active', 'gumroad', null],
  ['pro', 'b@example.com', 'revoked', 'gumroad', 'sub_2'],
  ['app', 'a@example.com', 'active', 'stripe', null],
];

/** Each list filter with the row indexes it must return, in insertion order. */
const listExpectations: ReadonlyArray<[LicenseFilter | undefined, readonly number[]]> = [
  [undefined, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]],
  [{}, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]],
  [{ productId: 'app' }, [0, 2, 3, 5, 7, 9, 11]],
  [{ productId: 'pro' }, [1, 4, 6, 8, 10]],
  [{ email: 'a@example.com' }, [0, 3, 4, 8, 11]],
  [{ email: 'b@example.com' }, [1, 5, 7, 10]],
  [{ email: 'c@example.com' }, [2, 6, 9]],
  [{ status: 'active' }, [0, 1, 4, 5, 8, 9, 11]],
  [{ status: 'suspended' }, [2, 7]],
  [{ status: 'revoked' }, [3, 6, 10]],
  [{ purchaseSource: 'gumroad' }, [0, 2, 4, 6, 9, 10]],
  [{ purchaseSource: 'stripe' }, [1, 3, 5, 7, 8, 11]],
  [{ subscriptionId: 'sub_1' }, [1, 5, 8]],
  [{ subscriptionId: 'sub_2' }, [3, 6, 10]],
  [{ productId: 'app', status: 'active' }, [0, 5, 9, 11]],
  [{ email: 'a@example.com', purchaseSource: 'stripe' }, [3, 8, 11]],
  [{ productId: 'pro', email: 'b@example.com', status: 'revoked' }, [10]],
  [{ productId: 'app', subscriptionId: 'sub_1', status: 'suspended' }, []],
  [{ email: 'nobody@example.com' }, []],
  [{ purchaseSource: 'paddle' }, []],
];

/** `list-filters`: `list` yields exactly the licenses matching each filter, in insertion order. */
export const listFilters: StorageConformanceCase = {
  id: 'list-filters',
  title: 'list returns exactly the matching licenses in insertion order',
  run: async ({ storage }) => {
    const { licenses } = storage;
    // Keys, sale ids and creation times all sort opposite to insertion order.
    const inserted = listRows.map(([productId, email, status, purchaseSource, subscriptionId], i) => {
      const base = licenseFixture();
      return licenseFixture({
        key: `L${99 - i}-${base.key}`,
        purchaseId: `sale-${99 - i}-${base.purchaseId}`,
        createdAt: `2024-01-${String(28 - i).padStart(2, '0')}T00:00:00.000Z`,
        productId,
        email,
        status,
        statusReason: status === 'active' ? null : 'manual',
        purchaseSource,
        subscriptionId,
      });
    });
    for (const license of inserted) await licenses.insert(license);
    assertEqual(
      await collect(() => licenses.list()),
      inserted,
      'list() returns every license in insertion order',
    );
    for (const [filter, indexes] of listExpectations) {
      assertEqual(
        keysOf(await collect(() => licenses.list(filter))),
        keysOf(pick(inserted, indexes)),
        `list(${JSON.stringify(filter)})`,
      );
    }

    const target = inserted[7]!;
    const reinstated = await licenses.update(target.key, (current) => ({
      ...current,
      status: 'active',
      statusReason: null,
    }));
    assertEqual(reinstated?.status, 'active', 'update of a listed license');
    const afterUpdate = inserted.map((license) => (license.key === target.key ? reinstated : license));
    assertEqual(
      await collect(() => licenses.list()),
      afterUpdate,
      'list() after an update keeps insertion order',
    );
    assertEqual(
      keysOf(await collect(() => licenses.list({ status: 'active' }))),
      keysOf(pick(inserted, [0, 1, 4, 5, 7, 8, 9, 11])),
      'list({ status: active }) after reinstating a license',
    );
    assertEqual(
      keysOf(await collect(() => licenses.list({ status: 'suspended' }))),
      keysOf(pick(inserted, [2])),
      'list({ status: suspended }) after reinstating a license',
    );
  },
};
