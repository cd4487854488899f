/**
 * Deliberately broken storage adapters for testing the exported conformance suite: each is a memory
 * storage seen through closable handles (so `reopen` is a new handle on the same data) with a flaw
 * patched in. `failingCaseIds` runs the whole suite against one and reports which cases failed.
 */
import { memoryStorage } from '../../src/adapters/memory-storage.js';
import { LicenseKitError } from '../../src/domain/errors.js';
import type { LicenseStore, PurchaseLog, Storage } from '../../src/ports/storage.js';
import {
  type ConformanceRunner,
  runStorageConformance,
  type StorageConformanceCaseId,
  type StorageConformanceOptions,
  storageConformanceCases,
} from '../../src/testing.js';

/** Turns a handle on a backing memory storage into a broken adapter. `state` lives as long as the data. */
export type Flaw = (handle: Storage, state: Map<string, unknown>) => Storage;

interface Backing {
  storage: Storage;
  state: Map<string, unknown>;
}

const backingOf = new WeakMap<Storage, Backing>();

/** A closable handle on `backing`, with `flaw` applied. */
function openHandle(backing: Backing, flaw: Flaw): Storage {
  const closed = { licenses: false, purchases: false };
  const open = <K extends keyof Storage>(half: K): Storage[K] => {
    if (closed[half]) throw new LicenseKitError('STORAGE_CLOSED', 'this handle is closed');
    return backing.storage[half];
  };
  const handle: Storage = {
    licenses: {
      get: async (key) => open('licenses').get(key),
      getByPurchase: async (source, id) => open('licenses').getByPurchase(source, id),
      insert: async (license) => open('licenses').insert(license),
      update: async (key, mutate) => open('licenses').update(key, mutate),
      list: (filter) => deferred(() => open('licenses').list(filter)),
      close: async () => {
        closed.licenses = true;
      },
    },
    purchases: {
      append: async (record) => open('purchases').append(record),
      has: async (record) => open('purchases').has(record),
      scan: (filter) => deferred(() => open('purchases').scan(filter)),
      close: async () => {
        closed.purchases = true;
      },
    },
  };
  const flawed = flaw(handle, backing.state);
  backingOf.set(flawed, backing);
  return flawed;
}

/** An async iterable that calls `items` (and so checks for a closed handle) on the first pull. */
async function* deferred<T>(items: () => AsyncIterable<T>): AsyncGenerator<T> {
  yield* items();
}

/** A fresh broken adapter, used outside the suite to show that its flaw is real. */
export function brokenStorage(flaw: Flaw): Storage {
  return openHandle({ storage: memoryStorage(), state: new Map() }, flaw);
}

/** Suite options for `flaw`, with `reopen` and `destroy`: the suite in its strongest configuration. */
export function flawedOptions(name: string, flaw: Flaw): StorageConformanceOptions {
  return {
    name,
    createStorage: () => openHandle({ storage: memoryStorage(), state: new Map() }, flaw),
    reopen: (old) => {
      const backing = backingOf.get(old);
      if (backing === undefined) throw new Error('not a handle');
      return openHandle(backing, flaw);
    },
    destroy: async (storage) => {
      const backing = backingOf.get(storage);
      await backing?.storage.licenses.close();
      await backing?.storage.purchases.close();
    },
  };
}

/** Runs every case of the suite against `options`; returns the failed cases, each with its first message line. */
export async function failingCaseIds(
  options: StorageConformanceOptions,
): Promise<Map<StorageConformanceCaseId, string>> {
  const tests: Array<[string, () => Promise<void>]> = [];
  const runner: ConformanceRunner = {
    describe: (_name, fn) => {
      fn();
    },
    it: (name, fn) => {
      tests.push([name, fn]);
    },
  };
  runStorageConformance(runner, options);
  const failed = new Map<StorageConformanceCaseId, string>();
  for (const [title, run] of tests) {
    const testCase = storageConformanceCases.find((candidate) => candidate.title === title);
    if (testCase === undefined) throw new Error(`no case titled ${title}`);
    try {
      await run();
    } catch (error) {
      failed.set(testCase.id, error instanceof Error ? error.message.split('\n')[0]! : String(error));
    }
  }
  return failed;
}

/** A flaw that replaces some methods of the license store; `base` is the working store. */
export function patchLicenses(
  patch: (base: LicenseStore, state: Map<string, unknown>) => Partial<LicenseStore>,
): Flaw {
  return (handle, state) => ({
    ...handle,
    licenses: { ...handle.licenses, ...patch(handle.licenses, state) },
  });
}

/** A flaw that replaces some methods of the purchase log; `base` is the working log. */
export function patchPurchases(
  patch: (base: PurchaseLog, state: Map<string, unknown>) => Partial<PurchaseLog>,
): Flaw {
  return (handle, state) => ({
    ...handle,
    purchases: { ...handle.purchases, ...patch(handle.purchases, state) },
  });
}

/** Drains `items`. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Waits a millisecond: stands in for a database round trip. */
export const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));
