import { join } from 'node:path';
import type { Storage } from '../../ports/storage.js';
import { jsonFileLicenseStore } from './json-file-license-store.js';
import { jsonlPurchaseLog } from './jsonl-purchase-log.js';

/** Options of {@link fileStorage}. */
export interface FileStorageOptions {
  /** The data directory (created if missing): `licenses.json`, `purchases.jsonl` and their lock. */
  dir: string;
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
 * lock file `.lock`, so several processes (a server and the CLI) can use the directory at once.
 *
 * Commit order: a license is written before any audit record that names it, so after a crash
 * between the two files the license exists and the webhook's retry (or the caller) adds the record.
 */
export function fileStorage(options: FileStorageOptions): Storage {
  const lockPath = join(options.dir, '.lock');
  return {
    licenses: jsonFileLicenseStore({ ...options, path: join(options.dir, 'licenses.json'), lockPath }),
    purchases: jsonlPurchaseLog({ ...options, path: join(options.dir, 'purchases.jsonl'), lockPath }),
  };
}
