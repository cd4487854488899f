import { isLicenseKitError } from '../domain/errors.js';
import type { Storage } from '../ports/storage.js';
import { ConformanceAssertionError } from './_assert.js';
import {
  closedStoreRejects,
  stateSurvivesReopen,
  telemetrySurvivesClose,
} from './conformance/durability-cases.js';
import { filtersIgnoreUndefinedFields, listFiltersFollowUpdates } from './conformance/filter-cases.js';
import { idsCompareExactly, saleIsSourceAndId } from './conformance/identity-cases.js';
import {
  insertIdempotentOnSale,
  insertRejectsDuplicateKey,
  insertRejectsInvalidLicense,
  licenseRoundTrip,
  licensesAreNotLive,
  missesReturnNull,
} from './conformance/license-cases.js';
import {
  listFilters,
  listYieldsEachOnce,
  updateAppliesMutation,
  updateIsAtomic,
  updateRejectsIdentityChange,
  updateRejectsUnknownProperties,
  updateSerializedAcrossKeySpellings,
} from './conformance/license-update-cases.js';
import {
  appendDedupesEvents,
  concurrentAppends,
  hasReportsStoredRecords,
  scanOrderAndFilters,
} from './conformance/log-cases.js';
import { listReturnsEveryPage, scanReturnsEveryPage } from './conformance/paging-cases.js';

/** The id of one storage conformance case; pass ids in `skip` to leave cases out. */
export type StorageConformanceCaseId =
  | 'misses-return-null'
  | 'license-round-trip'
  | 'licenses-are-not-live'
  | 'insert-idempotent-on-sale'
  | 'sale-is-source-and-id'
  | 'ids-compare-exactly'
  | 'insert-rejects-duplicate-key'
  | 'insert-rejects-invalid-license'
  | 'update-applies-mutation'
  | 'update-rejects-identity-change'
  | 'update-rejects-unknown-properties'
  | 'update-is-atomic'
  | 'update-serialized-across-key-spellings'
  | 'list-filters'
  | 'list-filters-follow-updates'
  | 'list-yields-each-once'
  | 'list-returns-every-page'
  | 'append-dedupes-events'
  | 'scan-order-and-filters'
  | 'filters-ignore-undefined-fields'
  | 'scan-returns-every-page'
  | 'concurrent-appends'
  | 'has-reports-stored-records'
  | 'state-survives-reopen'
  | 'telemetry-survives-close'
  | 'closed-store-rejects';

/**
 * The two functions of a test runner the suite needs. `describe`/`it` from vitest, jest, mocha,
 * `node:test` and `bun:test` all fit: pass `{ describe, it }`.
 */
export interface ConformanceRunner {
  describe(name: string, fn: () => void): unknown;
  it(name: string, fn: () => Promise<void>): unknown;
}

/** How {@link runStorageConformance} creates, reopens and disposes of the storage under test. */
export interface StorageConformanceOptions {
  /** Shown in the suite name: `storage conformance: <name>`. */
  name: string;
  /** A fresh, EMPTY storage; called once per case. */
  createStorage(): Storage | Promise<Storage>;
  /**
   * A new instance on the same backing data as `storage`, which the suite has closed already.
   * Without it, the cases that check durability across a reopen are skipped.
   */
  reopen?(storage: Storage): Storage | Promise<Storage>;
  /** Cleans up after each case, e.g. deletes files. Gets the latest instance, already closed. */
  destroy?(storage: Storage): void | Promise<void>;
  /** Cases to leave out. */
  skip?: readonly StorageConformanceCaseId[];
}

/** What a case works with: the storage under test and a way to reopen it. */
export interface StorageConformanceContext {
  /** The current instance (the reopened one after {@link StorageConformanceContext.reopen}). */
  readonly storage: Storage;
  /** Closes the current instance and opens a new one on the same data; throws if the adapter has no `reopen`. */
  reopen(): Promise<Storage>;
}

/** One rule of the storage port, checked against a fresh storage. */
export interface StorageConformanceCase {
  id: StorageConformanceCaseId;
  title: string;
  /** Needs {@link StorageConformanceOptions.reopen}; skipped without it. */
  needsReopen?: boolean;
  run(ctx: StorageConformanceContext): Promise<void>;
}

/**
 * Registers one test per conformance case with `runner`, inside
 * `describe('storage conformance: <name>')`. Every case gets a fresh storage and always closes it and
 * calls `destroy` afterwards, whether it passed or not.
 */
export function runStorageConformance(runner: ConformanceRunner, options: StorageConformanceOptions): void {
  const skip = new Set<StorageConformanceCaseId>(options.skip ?? []);
  runner.describe(`storage conformance: ${options.name}`, () => {
    for (const testCase of storageConformanceCases) {
      if (skip.has(testCase.id) || (testCase.needsReopen === true && options.reopen === undefined)) continue;
      runner.it(testCase.title, () => runConformanceCase(testCase, options));
    }
  });
}

/** Runs one case against a fresh storage, then closes it (tolerating an already-closed one) and destroys it. */
async function runConformanceCase(
  testCase: StorageConformanceCase,
  options: StorageConformanceOptions,
): Promise<void> {
  let current = await options.createStorage();
  const context: StorageConformanceContext = {
    get storage() {
      return current;
    },
    reopen: async () => {
      if (options.reopen === undefined) {
        throw new Error(`[licensekit] conformance case ${testCase.id} needs a reopen option`);
      }
      await closeStorage(current, false);
      current = await options.reopen(current);
      return current;
    },
  };
  const failures: unknown[] = [];
  try {
    await testCase.run(context);
  } catch (error) {
    if (error instanceof ConformanceAssertionError) error.message = `[${testCase.id}] ${error.message}`;
    failures.push(error);
  }
  try {
    await closeStorage(current, true);
  } catch (error) {
    failures.push(error);
  }
  try {
    await options.destroy?.(current);
  } catch (error) {
    failures.push(error);
  }
  if (failures.length > 0) throw failures[0];
}

/** Closes the license store, then the purchase log (both are always attempted); `tolerant` ignores `STORAGE_CLOSED`. */
async function closeStorage(storage: Storage, tolerant: boolean): Promise<void> {
  const failures: unknown[] = [];
  for (const half of [storage.licenses, storage.purchases]) {
    try {
      await half.close();
    } catch (error) {
      if (!(tolerant && isLicenseKitError(error, 'STORAGE_CLOSED'))) failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}

/** Every storage conformance case, in the order {@link runStorageConformance} registers them. */
export const storageConformanceCases: readonly StorageConformanceCase[] = [
  missesReturnNull,
  licenseRoundTrip,
  licensesAreNotLive,
  insertIdempotentOnSale,
  saleIsSourceAndId,
  idsCompareExactly,
  insertRejectsDuplicateKey,
  insertRejectsInvalidLicense,
  updateAppliesMutation,
  updateRejectsIdentityChange,
  updateRejectsUnknownProperties,
  updateIsAtomic,
  updateSerializedAcrossKeySpellings,
  listFilters,
  listFiltersFollowUpdates,
  listYieldsEachOnce,
  listReturnsEveryPage,
  appendDedupesEvents,
  scanOrderAndFilters,
  filtersIgnoreUndefinedFields,
  scanReturnsEveryPage,
  concurrentAppends,
  hasReportsStoredRecords,
  stateSurvivesReopen,
  telemetrySurvivesClose,
  closedStoreRejects,
];
