import { describe, expect, it, vi } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory-storage.js';
import { type AuditRecord, auditDedupeKey } from '../../src/domain/audit-record.js';
import { isLicenseKitError, LicenseKitError } from '../../src/domain/errors.js';
import { type License, parseLicense } from '../../src/domain/license.js';
import { matchesLicenseFilter } from '../../src/ports/filters.js';
import { isTelemetryOnlyChange, keepsAllButTelemetry } from '../../src/ports/license-changes.js';
import type { Storage } from '../../src/ports/storage.js';
import {
  licenseFixture,
  runStorageConformance,
  type StorageConformanceCaseId,
  type StorageConformanceOptions,
  storageConformanceCases,
} from '../../src/testing.js';
import {
  brokenStorage,
  collect,
  type Flaw,
  handleOptions,
  lockOnKeyText,
  patchLicenses,
  patchPurchases,
  registeredTests,
  saleUniqueOnIdOnly,
  tick,
} from '../helpers/broken-adapters.js';

runStorageConformance({ describe, it }, { name: 'memory', createStorage: () => memoryStorage() });

// ---------------------------------------------------------------------------------------------------
// Memory storage seen through closable handles (test/helpers/broken-adapters.ts): every handle shares
// one backing memory storage, so "reopening" is a new handle on the same data. This runs the reopen
// cases, and (with a flaw patched in) proves that every case can fail.

runStorageConformance({ describe, it }, handleOptions('memory behind reopenable handles'));

/**
 * Holds the updates `writesBehind` picks in memory and never writes them: dropped on close (the
 * flaw of `writeBehindWithoutFlush`), and unchecked if `writesBehind` lets bad values through.
 */
const heldBack =
  (writesBehind: (current: License, next: License) => boolean): Flaw =>
  (handle) => {
    const pending = new Map<string, License>();
    const base = handle.licenses;
    return {
      ...handle,
      licenses: {
        ...base,
        get: async (key) => pending.get(key.toUpperCase()) ?? base.get(key),
        list: (filter) =>
          (async function* () {
            for await (const license of base.list(filter))
              yield pending.get(license.key.toUpperCase()) ?? license;
          })(),
        update: async (key, mutate) => {
          const current = pending.get(key.toUpperCase()) ?? (await base.get(key));
          if (current === null) return null;
          const next = mutate(current);
          if (next === current) return current;
          if (writesBehind(current, next)) {
            pending.set(key.toUpperCase(), next);
            return next;
          }
          pending.delete(key.toUpperCase());
          return base.update(key, () => next);
        },
      },
    };
  };

/** Writes telemetry-only updates behind and (the flaw) drops them on close. */
const writeBehindWithoutFlush = heldBack(isTelemetryOnlyChange);

/** Writes behind every update that keeps all but telemetry, key and sale, without checking its values. */
const telemetryUnchecked = heldBack(
  (current, next) =>
    next.key === current.key &&
    next.purchaseSource === current.purchaseSource &&
    next.purchaseId === current.purchaseId &&
    keepsAllButTelemetry(current, next),
);

/** A license with only the fields of a license and its devices, as a store writing columns keeps it. */
function licenseFieldsOf(license: License): License {
  const fields = Object.keys(licenseFixture()) as Array<keyof License>;
  const known = Object.fromEntries(fields.map((field) => [field, license[field]])) as unknown as License;
  const devices = license.devices.map(({ hardwareId, deviceName, activatedAt, lastSeenAt }) => ({
    hardwareId,
    deviceName,
    activatedAt,
    lastSeenAt,
  }));
  return { ...known, devices };
}

/** Lists from a copy of the licenses that it (the flaw) reads again, from the start, after any write. */
const listRestartingAfterWrites: Flaw = (handle) => {
  const base = handle.licenses;
  let writes = 0;
  return {
    ...handle,
    licenses: {
      ...base,
      insert: async (license) => {
        writes++;
        return base.insert(license);
      },
      update: async (key, mutate) => {
        writes++;
        return base.update(key, mutate);
      },
      list: (filter) =>
        (async function* () {
          let read = writes;
          let licenses = await collect(base.list(filter));
          for (let i = 0; i < licenses.length; i++) {
            yield licenses[i]!;
            if (writes === read) continue;
            read = writes;
            licenses = await collect(base.list(filter));
            i = -1;
          }
        })(),
    },
  };
};

/** One realistic adapter bug per case; the case must catch it. */
const flaws: Record<StorageConformanceCaseId, { bug: string; flaw: Flaw; forgetOnReopen?: boolean }> = {
  'sale-is-source-and-id': {
    bug: 'insert is idempotent on purchaseId alone',
    flaw: saleUniqueOnIdOnly,
  },
  'licenses-are-not-live': {
    bug: 'get hands out a copy it keeps, and returns that copy again',
    flaw: patchLicenses((base) => {
      const handedOut = new Map<string, License | null>();
      return {
        get: async (key) => {
          const index = key.toUpperCase();
          if (!handedOut.has(index)) handedOut.set(index, structuredClone(await base.get(key)));
          return handedOut.get(index)!;
        },
      };
    }),
  },
  'ids-compare-exactly': {
    bug: 'getByPurchase folds the case of sale ids',
    flaw: patchLicenses((base) => ({
      getByPurchase: async (source, purchaseId) => {
        for await (const other of base.list({ purchaseSource: source })) {
          if (other.purchaseId.toLowerCase() === purchaseId.toLowerCase()) return other;
        }
        return null;
      },
    })),
  },
  'update-serialized-across-key-spellings': {
    bug: 'update locks on the key text as given',
    flaw: lockOnKeyText,
  },
  'list-filters-follow-updates': {
    bug: 'list filters on the fields as inserted',
    flaw: patchLicenses((base) => {
      const inserted = new Map<string, License>();
      return {
        insert: async (license) => {
          const result = await base.insert(license);
          if (result.created) inserted.set(result.license.key.toUpperCase(), result.license);
          return result;
        },
        list: (filter) =>
          (async function* () {
            for await (const license of base.list()) {
              if (matchesLicenseFilter(inserted.get(license.key.toUpperCase()) ?? license, filter))
                yield license;
            }
          })(),
      };
    }),
  },
  'list-returns-every-page': {
    bug: 'list stops after one page of 100',
    flaw: patchLicenses((base) => ({
      list: (filter) =>
        (async function* () {
          yield* (await collect(base.list(filter))).slice(0, 100);
        })(),
    })),
  },
  'scan-returns-every-page': {
    bug: 'scan stops after one page of 100',
    flaw: patchPurchases((base) => ({
      scan: (filter) =>
        (async function* () {
          yield* (await collect(base.scan(filter))).slice(0, 100);
        })(),
    })),
  },
  'filters-ignore-undefined-fields': {
    bug: 'scan treats an undefined filter field as a condition',
    flaw: patchPurchases((base) => ({
      scan: (filter) =>
        (async function* () {
          if (filter !== undefined && Object.values(filter).includes(undefined)) return;
          yield* base.scan(filter);
        })(),
    })),
  },
  'misses-return-null': {
    bug: 'get throws on a miss',
    flaw: patchLicenses((base) => ({
      get: async (key) => {
        const license = await base.get(key);
        if (license === null) throw new LicenseKitError('LICENSE_NOT_FOUND', 'no such license');
        return license;
      },
    })),
  },
  'license-round-trip': {
    bug: 'get compares keys case-sensitively',
    flaw: patchLicenses((base) => ({
      get: async (key) => {
        const license = await base.get(key);
        return license?.key === key ? license : null;
      },
    })),
  },
  'insert-idempotent-on-sale': {
    bug: 'insert checks for the sale and writes in two steps',
    flaw: patchLicenses((base) => ({
      insert: async (license) => {
        const existing = await base.getByPurchase(license.purchaseSource, license.purchaseId);
        await tick();
        if (existing !== null) return { license: existing, created: false };
        await base.insert(license);
        return { license, created: true };
      },
    })),
  },
  'insert-rejects-duplicate-key': {
    bug: 'insert swallows a key clash',
    flaw: patchLicenses((base) => ({
      insert: async (license) => {
        try {
          return await base.insert(license);
        } catch {
          return { license, created: true };
        }
      },
    })),
  },
  'insert-rejects-invalid-license': {
    bug: 'insert does not validate',
    flaw: patchLicenses((base) => ({
      insert: async (license) => {
        try {
          parseLicense(license);
        } catch {
          return { license, created: true };
        }
        return base.insert(license);
      },
    })),
  },
  'update-applies-mutation': {
    bug: 'update returns the result without storing it',
    flaw: patchLicenses((base) => ({
      update: async (key, mutate) => {
        const current = await base.get(key);
        return current === null ? null : mutate(current);
      },
    })),
  },
  'update-rejects-identity-change': {
    bug: 'update ignores a rejected result instead of rejecting',
    flaw: patchLicenses((base) => ({
      update: async (key, mutate) => {
        try {
          return await base.update(key, mutate);
        } catch (error) {
          if (isLicenseKitError(error, 'INVALID_INPUT')) return base.get(key);
          throw error;
        }
      },
    })),
  },
  'update-rejects-unknown-properties': {
    bug: 'update drops unknown properties instead of rejecting',
    flaw: patchLicenses((base) => ({
      update: (key, mutate) =>
        base.update(key, (current) => {
          const next = mutate(current);
          return next === current ? current : licenseFieldsOf(next);
        }),
    })),
  },
  'update-is-atomic': {
    bug: 'update reads and writes in two steps',
    flaw: patchLicenses((base) => ({
      update: async (key, mutate) => {
        const current = await base.get(key);
        await tick();
        if (current === null) return null;
        const next = mutate(current);
        return base.update(key, () => next);
      },
    })),
  },
  'list-filters': {
    bug: 'list ignores its filter',
    flaw: patchLicenses((base) => ({ list: () => base.list() })),
  },
  'list-yields-each-once': {
    bug: 'list starts over after a write during the iteration',
    flaw: listRestartingAfterWrites,
  },
  'append-dedupes-events': {
    bug: 'append always reports true',
    flaw: patchPurchases((base) => ({
      append: async (record) => {
        await base.append(record);
        return true;
      },
    })),
  },
  'scan-order-and-filters': {
    bug: 'scan returns newest first',
    flaw: patchPurchases((base) => ({
      scan: (filter) =>
        (async function* () {
          yield* (await collect(base.scan(filter))).reverse();
        })(),
    })),
  },
  'concurrent-appends': {
    bug: 'append checks for a duplicate and writes in two steps',
    flaw: patchPurchases((base) => ({
      append: async (record: AuditRecord) => {
        const key = auditDedupeKey(record);
        const stored = await collect(base.scan());
        const duplicate = key !== null && stored.some((other) => auditDedupeKey(other) === key);
        await tick();
        if (duplicate) return false;
        await base.append(record);
        return true;
      },
    })),
  },
  'has-reports-stored-records': {
    bug: 'has always reports false',
    flaw: patchPurchases(() => ({ has: async () => false })),
  },
  'state-survives-reopen': {
    bug: 'reopen starts from empty data',
    flaw: (handle) => handle,
    forgetOnReopen: true,
  },
  'telemetry-survives-close': {
    bug: 'telemetry written behind is dropped on close',
    flaw: writeBehindWithoutFlush,
  },
  'closed-store-rejects': {
    bug: 'close does nothing',
    flaw: (handle) => ({
      licenses: { ...handle.licenses, close: async () => {} },
      purchases: { ...handle.purchases, close: async () => {} },
    }),
  },
};

function titleOf(id: StorageConformanceCaseId): string {
  const found = storageConformanceCases.find((testCase) => testCase.id === id);
  if (found === undefined) throw new Error(`no case ${id}`);
  return found.title;
}

describe('storage conformance cases catch broken adapters', () => {
  for (const [id, { bug, flaw, forgetOnReopen }] of Object.entries(flaws) as Array<
    [StorageConformanceCaseId, (typeof flaws)[StorageConformanceCaseId]]
  >) {
    it(`${id} fails when ${bug}`, async () => {
      const { tests } = registeredTests(handleOptions(`flawed: ${bug}`, flaw, { forgetOnReopen }));
      const run = tests.get(titleOf(id));
      expect(run).toBeDefined();
      await expect(run!()).rejects.toMatchObject({
        name: 'AssertionError',
        message: expect.stringContaining(`[${id}] `),
      });
    });
  }
});

describe('storage conformance cases catch these bugs too', () => {
  const more: Array<[StorageConformanceCaseId, string, Flaw]> = [
    [
      'insert-idempotent-on-sale',
      'insert refuses a known key before it looks for the sale, so a retried insert fails',
      patchLicenses((base) => ({
        insert: async (license) => {
          if ((await base.get(license.key)) !== null) {
            throw new LicenseKitError('INVALID_INPUT', 'a license with this key exists');
          }
          return base.insert(license);
        },
      })),
    ],
    [
      'update-rejects-identity-change',
      'update writes telemetry behind without checking its values',
      telemetryUnchecked,
    ],
  ];
  for (const [id, bug, flaw] of more) {
    it(`${id} fails when ${bug}`, async () => {
      const { tests } = registeredTests(handleOptions(`flawed: ${bug}`, flaw));
      await expect(tests.get(titleOf(id))!()).rejects.toMatchObject({
        name: 'AssertionError',
        message: expect.stringContaining(`[${id}] `),
      });
    });
  }
});

describe('runStorageConformance', () => {
  it('has unique case ids and titles and a flaw for every case', () => {
    const ids = storageConformanceCases.map((testCase) => testCase.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(storageConformanceCases.map((testCase) => testCase.title)).size).toBe(ids.length);
    expect(Object.keys(flaws).sort()).toEqual([...ids].sort());
  });

  it('registers one test per case inside one describe, leaving out reopen cases without reopen', () => {
    const { suites, tests } = registeredTests({ name: 'memory', createStorage: () => memoryStorage() });
    expect(suites).toEqual(['storage conformance: memory']);
    expect([...tests.keys()]).toEqual(
      storageConformanceCases
        .filter((testCase) => testCase.needsReopen !== true)
        .map((testCase) => testCase.title),
    );
    expect(storageConformanceCases.some((testCase) => testCase.needsReopen === true)).toBe(true);
    const withReopen = registeredTests(handleOptions('handles'));
    expect([...withReopen.tests.keys()]).toEqual(storageConformanceCases.map((testCase) => testCase.title));
  });

  it('leaves out skipped cases', () => {
    const { tests } = registeredTests({
      ...handleOptions('handles'),
      skip: ['list-filters', 'state-survives-reopen'],
    });
    expect(tests.has(titleOf('list-filters'))).toBe(false);
    expect(tests.has(titleOf('state-survives-reopen'))).toBe(false);
    expect(tests.size).toBe(storageConformanceCases.length - 2);
  });

  it('gives every case a fresh storage and always closes and destroys it, also when the case fails', async () => {
    const created: Storage[] = [];
    const destroyed: Storage[] = [];
    const options: StorageConformanceOptions = {
      name: 'memory',
      createStorage: () => {
        const storage = brokenStorage(flaws['list-filters'].flaw);
        created.push(storage);
        return storage;
      },
      destroy: (storage) => {
        destroyed.push(storage);
      },
    };
    const { tests } = registeredTests(options);
    await expect(tests.get(titleOf('list-filters'))!()).rejects.toThrow(/list-filters/);
    await tests.get(titleOf('misses-return-null'))!();
    await tests.get(titleOf('closed-store-rejects'))!();
    expect(created).toHaveLength(3);
    expect(new Set(created).size).toBe(3);
    expect(destroyed).toEqual(created);
    for (const storage of created) {
      await expect(storage.licenses.get('LK-ANY')).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
      await expect(storage.purchases.append({} as AuditRecord)).rejects.toMatchObject({
        code: 'STORAGE_CLOSED',
      });
    }
  });

  it('reports a close failure other than STORAGE_CLOSED, and still destroys', async () => {
    const destroy = vi.fn();
    const failure = new LicenseKitError('STORAGE_IO', 'disk full');
    const { tests } = registeredTests({
      name: 'memory',
      createStorage: () => {
        const storage = memoryStorage();
        return { ...storage, licenses: { ...storage.licenses, close: () => Promise.reject(failure) } };
      },
      destroy,
    });
    await expect(tests.get(titleOf('misses-return-null'))!()).rejects.toBe(failure);
    expect(destroy).toHaveBeenCalledTimes(1);
  });
});
