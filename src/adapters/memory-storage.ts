import { type AuditRecord, auditDedupeKey, parseAuditRecord } from '../domain/audit-record.js';
import { StorageError } from '../domain/errors.js';
import { parseLicense } from '../domain/license.js';
import { matchesAuditFilter } from '../ports/filters.js';
import { isTelemetryOnlyChange } from '../ports/license-changes.js';
import type { AuditFilter, InsertResult, LicenseStore, PurchaseLog, Storage } from '../ports/storage.js';
import { applyMutation, LicenseTable } from './_license-table.js';

/**
 * Storage that lives in this process's memory: for tests, demos and short-lived scripts.
 * Every write is immediate (there is nothing to write behind) and gone when the process exits.
 */
export function memoryStorage(): Storage {
  return { licenses: memoryLicenseStore(), purchases: memoryPurchaseLog() };
}

function memoryLicenseStore(): LicenseStore {
  const table = new LicenseTable();
  let closed = false;
  const open = (): LicenseTable => {
    if (closed) throw new StorageError('STORAGE_CLOSED', 'the memory license store is closed');
    return table;
  };
  return {
    get: async (key) => open().get(key),
    getByPurchase: async (source, purchaseId) => open().getByPurchase(source, purchaseId),
    insert: async (license): Promise<InsertResult> => {
      const licenses = open();
      const valid = parseLicense(license);
      const existing = licenses.conflictFor(valid);
      if (existing) return { license: existing, created: false };
      return { license: table.put(valid), created: true };
    },
    update: async (key, mutate) => {
      const current = open().get(key);
      if (current === null) return null;
      const next = applyMutation(current, mutate);
      if (next === current) return current;
      return table.put(isTelemetryOnlyChange(current, next) ? next : parseLicense(next));
    },
    list: (filter) => iterate(() => open().filter(filter)),
    close: async () => {
      closed = true;
    },
  };
}

function memoryPurchaseLog(): PurchaseLog {
  const records: AuditRecord[] = [];
  const seen = new Set<string>();
  let closed = false;
  const open = (): AuditRecord[] => {
    if (closed) throw new StorageError('STORAGE_CLOSED', 'the memory purchase log is closed');
    return records;
  };
  return {
    append: async (record) => {
      const log = open();
      const valid = parseAuditRecord(record);
      const dedupeKey = auditDedupeKey(valid);
      if (seen.has(dedupeKey)) return false;
      seen.add(dedupeKey);
      log.push(valid);
      return true;
    },
    has: async (record) => {
      open();
      return seen.has(auditDedupeKey(record));
    },
    scan: (filter?: AuditFilter) =>
      iterate(function* () {
        for (const record of open()) if (matchesAuditFilter(record, filter)) yield record;
      }),
    close: async () => {
      closed = true;
    },
  };
}

/** An async iterable over a synchronous generator that starts (and checks `closed`) on first pull. */
async function* iterate<T>(start: () => Iterable<T>): AsyncGenerator<T> {
  yield* start();
}
