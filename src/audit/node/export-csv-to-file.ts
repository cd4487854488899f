import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import {
  closeQuietly,
  errnoCode,
  fsyncDirectory,
  nodeFileIO,
  unlinkQuietly,
  writeFully,
} from '../../adapters/node/file-io.js';
import { isLicenseKitError, LicenseKitError, StorageError } from '../../domain/errors.js';
import type { CsvColumn } from '../csv-export.js';
import type { AuditQuery, PurchaseAuditLog } from '../purchase-audit-log.js';

/** Options of {@link exportCsvToFile}. */
export interface ExportCsvToFileOptions {
  /** Which records to export (default: all but test purchases). */
  filter?: AuditQuery;
  /** The columns, in order (default: `csvColumns`). */
  columns?: readonly CsvColumn[];
  /** Replace an existing file at the path (default `false`: an existing file is `INVALID_INPUT`). */
  overwrite?: boolean;
  /** Called after each chunk written (at most every 64 rows) with the data rows written so far. */
  onProgress?: (rows: number) => void;
}

/** What {@link exportCsvToFile} wrote: data rows (without the header) and bytes of UTF-8. */
export interface ExportCsvToFileResult {
  rows: number;
  bytes: number;
}

const flushBytes = 1024 * 1024;
const io = nodeFileIO;

/**
 * Writes `audit.exportCsv(filter, { columns })` to `path` so that `path` is either absent (or its
 * old version) or the complete export, never a partial file: streams into a temp file in the same
 * directory (mode 0600, since the CSV holds customer emails), fsyncs it and moves it into place.
 * Without `overwrite` an existing `path` is refused with `INVALID_INPUT`, checked before the export
 * starts and again, atomically, when the file is put in place (a hard link that fails if the path
 * exists). On any failure the temp file is removed; file system errors reject as `STORAGE_IO`, others
 * (from the log or `onProgress`) as they were thrown.
 */
export async function exportCsvToFile(
  audit: Pick<PurchaseAuditLog, 'exportCsv'>,
  path: string,
  options: ExportCsvToFileOptions = {},
): Promise<ExportCsvToFileResult> {
  const overwrite = options.overwrite === true;
  if (!overwrite && (await exists(path))) throw refused(path);
  const reader = audit.exportCsv(options.filter, { columns: options.columns }).getReader();
  // Named apart from the target, so that a target name near the file system's limit still fits.
  const temp = join(dirname(path), `.licensekit-export.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = await io.open(temp, 'wx', 0o600);
    const counter = new RowCounter();
    const encoder = new TextEncoder();
    let bytes = 0;
    let pending: string[] = [];
    let pendingLength = 0;
    const flush = async (descriptor: number): Promise<void> => {
      const data = encoder.encode(pending.join(''));
      pending = [];
      pendingLength = 0;
      await writeFully(io, descriptor, data, bytes);
      bytes += data.length;
    };
    for (let next = await reader.read(); next.done !== true; next = await reader.read()) {
      pending.push(next.value);
      pendingLength += next.value.length;
      counter.feed(next.value);
      if (pendingLength >= flushBytes) await flush(fd);
      options.onProgress?.(counter.rows);
    }
    await flush(fd);
    await io.fsync(fd);
    await io.close(fd);
    fd = undefined;
    await commit(temp, path, overwrite);
    await fsyncDirectory(io, dirname(path));
    return { rows: counter.rows, bytes };
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    if (fd !== undefined) await closeQuietly(io, fd);
    await unlinkQuietly(io, temp);
    if (isLicenseKitError(error) || errnoCode(error) === undefined) throw error;
    throw new StorageError('STORAGE_IO', `could not write the CSV export to ${path}`, { cause: error });
  }
}

/** Moves the finished temp file to `path`: a rename, or without `overwrite` a link that refuses an existing file. */
async function commit(temp: string, path: string, overwrite: boolean): Promise<void> {
  if (overwrite) return io.rename(temp, path);
  try {
    await io.link(temp, path);
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') throw refused(path);
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(errnoCode(error) ?? '')) throw error;
    // A file system without hard links: check, then rename (a race with another writer is possible).
    if (await exists(path)) throw refused(path);
    return io.rename(temp, path);
  }
  await io.unlink(temp);
}

async function exists(path: string): Promise<boolean> {
  try {
    await io.stat(path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw new StorageError('STORAGE_IO', `could not check ${path}`, { cause: error });
  }
}

function refused(path: string): LicenseKitError {
  return new LicenseKitError('INVALID_INPUT', `${path} exists; pass overwrite: true to replace it`);
}

/** Counts CSV records in streamed text: line feeds outside quoted cells, minus the header. */
class RowCounter {
  #lines = 0;
  #quoted = false;

  get rows(): number {
    return Math.max(0, this.#lines - 1);
  }

  feed(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 0x22) this.#quoted = !this.#quoted;
      else if (code === 0x0a && !this.#quoted) this.#lines++;
    }
  }
}
