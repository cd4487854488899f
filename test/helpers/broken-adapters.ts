/**
 * Deliberately broken storage adapters for testing the exported conformance suite
 * (`runStorageConformance`): each is a memory storage seen through closable handles (so `reopen` is a
 * new handle on the same data) with a flaw patched in. Used by test/adapters/memory.test.ts (one flaw
 * per case) and test/testing/conformance-gaps.test.ts (realistic adapter bugs).
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

/** The flaw that changes nothing: the handle as it is. */
export const noFlaw: Flaw = (handle) => handle;

/** The data behind the handles of one adapter, and the flaw's state that lives as long as it. */
interface Backing {
  storage: Storage;
  state: Map<string, unknown>;
}

const backingOf = new WeakMap<Storage, Backing>();

function freshBacking(): Backing {
  return { storage: memoryStorage(), state: new Map() };
}

/**
 * A closable handle on `backing`, with `flaw` applied. Once closed, every call (a second `close` too,
 * as the `Storage` contract says, so the suite's tolerance of an already-closed store is exercised)
 * rejects with `STORAGE_CLOSED`.
 */
function openHandle(backing: Backing, flaw: Flaw): Storage {
  const closed = { licenses: false, purchases: false };
  const open = <K extends keyof Storage>(half: K): Storage[K] => {
    if (closed[half]) throw new LicenseKitError('STORAGE_CLOSED', 'this handle is closed');
    return backing.storage[half];
  };
  const handle: Storage = {
    licenses: {
      get: async (key) => open('licenses').get(key),
      getByPurchase: async (source, purchaseId) => open('licenses').getByPurchase(source, purchaseId),
      insert: async (license) => open('licenses').insert(license),
      update: async (key, mutate) => open('licenses').update(key, mutate),
      list: (filter) => deferred(() => open('licenses').list(filter)),
      close: async () => {
        open('licenses');
        closed.licenses = true;
      },
    },
    purchases: {
      append: async (record) => open('purchases').append(record),
      has: async (record) => open('purchases').has(record),
      scan: (filter) => deferred(() => open('purchases').scan(filter)),
      close: async () => {
        open('purchases');
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

/** A fresh broken adapter (a handle on new data), used outside the suite to show that its flaw is real. */
export function brokenStorage(flaw: Flaw = noFlaw): Storage {
  return openHandle(freshBacking(), flaw);
}

/**
 * Suite options for `flaw` behind closable handles, with `reopen` and `destroy`: the suite in its
 * strongest configuration. With `forgetOnReopen` (the flaw of a store that starts from empty data),
 * `reopen` gives a handle on new data instead.
 */
export function handleOptions(
  name: string,
  flaw: Flaw = noFlaw,
  { forgetOnReopen = false }: { forgetOnReopen?: boolean | undefined } = {},
): StorageConformanceOptions {
  return {
    name,
    createStorage: () => brokenStorage(flaw),
    reopen: (old) => {
      const backing = backingOf.get(old);
      if (backing === undefined) throw new Error('not a handle');
      return openHandle(forgetOnReopen ? freshBacking() : backing, flaw);
    },
    destroy: async (storage) => {
      const backing = backingOf.get(storage);
      await backing?.storage.licenses.close();
      await backing?.storage.purchases.close();
    },
  };
}

/** Registers the suite with a runner that only records the describe names and the tests (titles unique). */
export function registeredTests(options: StorageConformanceOptions): {
  suites: string[];
  tests: Map<string, () => Promise<void>>;
} {
  const suites: string[] = [];
  const tests = new Map<string, () => Promise<void>>();
  const runner: ConformanceRunner = {
    describe: (name, fn) => {
      suites.push(name);
      fn();
    },
    it: (name, fn) => {
      if (tests.has(name)) throw new Error(`duplicate test ${name}`);
      tests.set(name, fn);
    },
  };
  runStorageConformance(runner, options);
  return { suites, tests };
}

/** Runs every case of the suite against `options`; returns the failed cases, each with its first message line. */
export async function failingCaseIds(
  options: StorageConformanceOptions,
): Promise<Map<StorageConformanceCaseId, string>> {
  const failed = new Map<StorageConformanceCaseId, string>();
  for (const [title, run] of registeredTests(options).tests) {
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

/** Sale uniqueness on `purchaseId` alone (`UNIQUE(purchase_id)`, the source forgotten). */
export const saleUniqueOnIdOnly: Flaw = patchLicenses((base) => ({
  insert: async (license) => {
    for await (const other of base.list()) {
      if (other.purchaseId === license.purchaseId) return { license: other, created: false };
    }
    return base.insert(license);
  },
}));

/**
 * `update` serialized by a per-key lock keyed on the key text as given (read, a round trip, then
 * write): two spellings of one key run in two chains and race.
 */
export const lockOnKeyText: Flaw = patchLicenses((base) => {
  const locks = new Map<string, Promise<unknown>>();
  return {
    update: (key, mutate) => {
      const run = (locks.get(key) ?? Promise.resolve()).then(async () => {
        const current = await base.get(key);
        if (current === null) return null;
        await tick(); // a database round trip
        const next = mutate(current);
        return next === current ? current : base.update(key, () => next);
      });
      locks.set(
        key,
        run.catch(() => undefined),
      );
      return run;
    },
  };
});
