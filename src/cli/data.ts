import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  defaultLicenseKeyFormat,
  type License,
  LicenseManager,
  memoryStorage,
  type Storage,
} from '../index.js';
import { fileStorage } from '../node.js';
import { RefusedError } from './command.js';

/** The actor of every change the CLI makes, in the audit log. */
export const cliActor = 'cli';

/**
 * How long the CLI waits for the data directory's lock (the library's default is 10 s). An operator
 * would rather wait for a busy server than retry: the lock is polled, so a short-lived process can
 * wait behind a stream of writes.
 */
export const lockTimeoutMs = 30_000;

/** An open data directory: the same locked file storage the server uses, and a manager on it. */
export interface DataDir {
  /** As given (relative paths stay relative in messages). */
  dir: string;
  storage: Storage;
  manager: LicenseManager;
}

/**
 * The data directory to use: `--data DIR`, else `LICENSEKIT_DATA`, else `./data`.
 */
export function dataDirOf(values: { data?: string }): string {
  const fromEnv = process.env.LICENSEKIT_DATA;
  return values.data ?? (fromEnv === undefined || fromEnv === '' ? './data' : fromEnv);
}

/**
 * What to do when the data directory does not exist: refuse (a mistyped `--data` must not read as
 * an empty shop), create it, or, for a dry run, which writes nothing anywhere, use an empty
 * in-memory storage (`dryRun`: an existing directory is then opened without reconciling it).
 */
export type MissingDir = 'refuse' | 'create' | 'dryRun';

/**
 * Opens `dir` with `fileStorage` (the server's lock and format) and runs `work` on it, closing it
 * afterwards (which writes validation telemetry kept behind).
 */
export async function withData<T>(
  dir: string,
  work: (data: DataDir) => Promise<T>,
  missing: MissingDir = 'refuse',
): Promise<T> {
  const exists = await isDirectory(dir);
  if (exists === false) throw new RefusedError(`${dir} is not a directory (${hint})`);
  if (exists === null && missing === 'refuse')
    throw new RefusedError(`no data directory at ${resolve(dir)} (${hint})`);
  const dryRun = missing === 'dryRun';
  const storage =
    exists === null && dryRun
      ? memoryStorage()
      : fileStorage({ dir, lockTimeoutMs, reconcileOnOpen: !dryRun });
  const manager = new LicenseManager({ storage });
  try {
    return await work({ dir, storage, manager });
  } finally {
    await manager.close();
  }
}

const hint = 'pass --data DIR or set LICENSEKIT_DATA';

/** Whether `path` is a directory; `null` when nothing is there. */
async function isDirectory(path: string): Promise<boolean | null> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return null;
  }
}

/**
 * The license with `key` (any case), or a refusal that says why: a typo caught by the check
 * symbol, or no such license.
 */
export async function requireLicense(manager: LicenseManager, key: string): Promise<License> {
  const license = await manager.getLicense(key);
  if (license !== null) return license;
  if (defaultLicenseKeyFormat.normalize(key) === null) {
    throw new RefusedError(`"${key}" has a typo: its check symbol does not match`);
  }
  throw new RefusedError(`no license has the key "${key}"`);
}
