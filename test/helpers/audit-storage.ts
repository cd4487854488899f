import { afterEach } from 'vitest';
import { type AuditRecord, memoryStorage, type PurchaseLog, type Storage } from '../../src/index.js';
import { fileStorage } from '../../src/node.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

/** The audit tests run on the memory storage and on real files (`purchases.jsonl`). */
export const auditStorageKinds = ['memory', 'file'] as const;
export type AuditStorageKind = (typeof auditStorageKinds)[number];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * A fresh storage of `kind` holding `records`, appended in order. A file storage lives in its own
 * temp dir; it is closed and the dir removed after the test.
 */
export async function storageWith(
  kind: AuditStorageKind,
  records: readonly AuditRecord[] = [],
): Promise<Storage> {
  let storage: Storage;
  if (kind === 'memory') {
    storage = memoryStorage();
  } else {
    const dir = await makeTempDir('audit');
    storage = fileStorage({ dir });
    cleanups.push(async () => {
      await storage.licenses.close();
      await storage.purchases.close();
      await removeTempDir(dir);
    });
  }
  for (const record of records) {
    if (!(await storage.purchases.append(record))) throw new Error(`record ${record.id} was not appended`);
  }
  return storage;
}

/** How many records a {@link countingScan} log has yielded, and whether its last scan ended. */
export interface ScanCounts {
  yielded: number;
  finished: boolean;
}

/** `log` with its `scan` counting every record it yields into `counts` and noting when it ends. */
export function countingScan(log: PurchaseLog, counts: ScanCounts): PurchaseLog {
  return new Proxy(log, {
    get(target, property) {
      if (property === 'scan') {
        return async function* (...args: Parameters<PurchaseLog['scan']>) {
          counts.finished = false;
          try {
            for await (const record of target.scan(...args)) {
              counts.yielded++;
              yield record;
            }
          } finally {
            counts.finished = true;
          }
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
