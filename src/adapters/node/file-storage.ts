import { join } from 'node:path';
import type { Storage } from '../../ports/storage.js';
import { reconcileStorage } from '../reconcile-storage.js';
import { jsonFileLicenseStore } from './json-file-license-store.js';
import { jsonlPurchaseLog } from './jsonl-purchase-log.js';

/** Options of {@link fileStorage}. */
export interface FileStorageOptions {
  /** The data directory (created if missing): `licenses.json`, `purchases.jsonl` and their lock. */
  dir: string;
  /**
   * Run `reconcileStorage` when the storage is first used (default `true`). It reads the whole log
   * once; turn it off for very large logs and run it yourself at start-up instead.
   */
  reconcileOnOpen?: boolean;
  /** Give up waiting for the lock after this long (default 10 s). */
  lockTimeoutMs?: number;
  /** See `FileLicenseStoreOptions.telemetryFlushMs` (default 1000 ms). */
  telemetryFlushMs?: number;
  /** See `FileLicenseStoreOptions.refreshMs` (default 100 ms). */
  refreshMs?: number;
}

/**
 * The two-file layout in one directory: `licenses.json` (the lean license records, see
 * `jsonFileLicenseStore`) and `purchases.jsonl` (the audit log, see `jsonlPurchaseLog`), sharing one
 * lock file `.lock`, so several processes (a server and the CLI) can use the directory at once. (Each
 * file takes the `.lock` beside its real path: a file symlinked into another directory is locked there,
 * with every other opener of it.)
 *
 * Commit order: a license is written before any audit record that names it. A crash between the
 * two leaves a license without its `created` record, which `reconcileStorage` appends on open.
 */
export function fileStorage(options: FileStorageOptions): Storage {
  // Both take their default lock, `.lock` beside their real paths: every store opened on these files shares it.
  const licenses = jsonFileLicenseStore({ ...options, path: join(options.dir, 'licenses.json') });
  const purchases = jsonlPurchaseLog({ ...options, path: join(options.dir, 'purchases.jsonl') });
  if (options.reconcileOnOpen === false) return { licenses, purchases };
  let reconciled = false;
  let reconciling: Promise<void> | null = null;
  const ready = (): Promise<void> => {
    reconciling ??= reconcileStorage({ licenses, purchases }).then(
      () => {
        reconciled = true;
      },
      (error) => {
        reconciling = null;
        throw error;
      },
    );
    return reconciling;
  };
  /** Runs `operation` once the storage is reconciled, with no extra step after that (hot paths). */
  const reconciledThen = <T>(operation: () => Promise<T>): Promise<T> =>
    reconciled ? operation() : ready().then(operation);
  return {
    licenses: {
      get: (key) => reconciledThen(() => licenses.get(key)),
      getByPurchase: (source, id) => reconciledThen(() => licenses.getByPurchase(source, id)),
      insert: (license) => reconciledThen(() => licenses.insert(license)),
      update: (key, mutate) => reconciledThen(() => licenses.update(key, mutate)),
      list: (filter) => after(ready, () => licenses.list(filter)),
      close: () => licenses.close(),
    },
    purchases: {
      append: (record) => reconciledThen(() => purchases.append(record)),
      has: (record) => reconciledThen(() => purchases.has(record)),
      scan: (filter) => after(ready, () => purchases.scan(filter)),
      close: () => purchases.close(),
    },
  };
}

async function* after<T>(ready: () => Promise<void>, iterate: () => AsyncIterable<T>): AsyncGenerator<T> {
  await ready();
  yield* iterate();
}
