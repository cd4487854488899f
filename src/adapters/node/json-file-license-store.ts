import { basename } from 'node:path';
import { StorageError } from '../../domain/errors.js';
import { isCanonicalLicense, type License, licenseKeyIndex, licenseSchema } from '../../domain/license.js';
import type { LicenseStore } from '../../ports/storage.js';
import type { LicenseTable } from '../_license-table.js';
import { sweepTempFiles, writeFileAtomic } from './atomic-write.js';
import { closeQuietly, errnoCode, type FileIO, nodeFileIO } from './file-io.js';
import { type FileLicenseStoreOptions, fileLicenseStore, type LicenseFile } from './file-license-store.js';
import type { Fence } from './file-lock.js';

/** Options of {@link jsonFileLicenseStore}. */
export interface JsonFileLicenseStoreOptions extends FileLicenseStoreOptions {
  /** The JSON document, e.g. `data/licenses.json` (created on the first write, mode 0600). */
  path: string;
  /** @internal File operations, replaced by fault-injection tests. */
  io?: FileIO;
}

const format = 'licensekit-licenses';
const headText = `{"format":"${format}","version":1,"generation":`;
// Generation 0 stands for "no file": a head that claims it is not trusted, the file is read in full.
const headPattern = /^\{"format":"licensekit-licenses","version":(\d+),"generation":([1-9]\d*),/;
const separator = Buffer.from(',\n');
const footer = Buffer.from('\n]}\n');

/**
 * Licenses in one JSON document, `{ format, version, generation, licenses: [...] }`, one license
 * per line. Every write replaces the file atomically (temp file, fsync, rename, directory fsync) and
 * keeps the previous version as `<path>.bak`. A corrupt or empty file is refused with
 * `STORAGE_CORRUPT` and never rewritten. Suits up to ~100,000 licenses with modest write rates;
 * every write rewrites the whole file.
 */
export function jsonFileLicenseStore(options: JsonFileLicenseStoreOptions): LicenseStore {
  return fileLicenseStore(new JsonLicenseFile(options.path, options.io ?? nodeFileIO), options);
}

class JsonLicenseFile implements LicenseFile {
  readonly path: string;
  readonly #io: FileIO;
  /** The generation of the file the table matches; -1 before the first read. */
  #generation = -1;
  /** Each license's line as written, so a write serializes only what changed. */
  #lines = new Map<string, Buffer>();

  constructor(path: string, io: FileIO) {
    this.path = path;
    this.#io = io;
  }

  recover(): Promise<void> {
    return sweepTempFiles(this.#io, this.path);
  }

  async refresh(table: LicenseTable): Promise<'all' | License[]> {
    const generation = await this.#readGeneration();
    if (generation === this.#generation) return [];
    if (generation === 0) {
      table.clear();
      this.#lines.clear();
      this.#generation = 0;
      return 'all';
    }
    const licenses = await this.#load();
    table.clear();
    this.#lines.clear();
    for (const license of licenses.list) table.put(license);
    if (table.size !== licenses.list.length) {
      table.clear();
      throw this.#corrupt('has two licenses with one key');
    }
    this.#generation = licenses.generation;
    return 'all';
  }

  async persist(table: LicenseTable, staged: ReadonlyMap<string, License>, fence: Fence): Promise<void> {
    const generation = this.#generation + 1;
    const parts: Buffer[] = [Buffer.from(`${headText}${generation},"licenses":[\n`)];
    const lines = new Map<string, Buffer>();
    const add = (key: string, license: License, cached: Buffer | undefined) => {
      const line = cached ?? Buffer.from(JSON.stringify(license));
      if (lines.size > 0) parts.push(separator);
      lines.set(key, line);
      parts.push(line);
    };
    for (const license of table.values()) {
      const key = licenseKeyIndex(license.key);
      const changed = staged.get(key);
      add(key, changed ?? license, changed ? undefined : this.#lines.get(key));
    }
    for (const [key, license] of staged) if (!lines.has(key)) add(key, license, undefined);
    parts.push(footer);
    await writeFileAtomic(this.#io, this.path, inChunks(parts), {
      backupPath: `${this.path}.bak`,
      beforeCommit: fence,
    });
    this.#generation = generation;
    this.#lines = lines;
  }

  /** The generation in the file's first bytes (0 when there is no file), or -2 when it is not there. */
  async #readGeneration(): Promise<number> {
    let fd: number;
    try {
      fd = await this.#io.open(this.path, 'r');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return 0;
      throw new StorageError('STORAGE_IO', `could not read ${this.path}`, { cause: error });
    }
    try {
      const head = new Uint8Array(128);
      const read = await this.#io.read(fd, head, 0, head.length, 0);
      const match = headPattern.exec(Buffer.from(head.buffer, 0, read).toString('latin1'));
      return match && match[1] === '1' ? Number(match[2]) : -2;
    } finally {
      await closeQuietly(this.#io, fd);
    }
  }

  async #load(): Promise<{ generation: number; list: License[] }> {
    let text: string;
    try {
      text = (await this.#io.readFile(this.path)).toString('utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return { generation: 0, list: [] };
      throw new StorageError('STORAGE_IO', `could not read ${this.path}`, { cause: error });
    }
    const name = basename(this.path);
    let document: { format?: unknown; version?: unknown; generation?: unknown; licenses?: unknown };
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw this.#corrupt(
        `is not valid JSON (${(error as Error).message}${text.length === 0 ? ', empty file' : ''})`,
      );
    }
    if (document === null || typeof document !== 'object' || document.format !== format) {
      throw this.#corrupt(`is not a ${name} written by licensekit (no "format": "${format}")`);
    }
    if (document.version !== 1) {
      throw new StorageError(
        'STORAGE_UNSUPPORTED_VERSION',
        `${this.path} has format version ${String(document.version)}; this licensekit reads version 1`,
      );
    }
    if (!Number.isSafeInteger(document.generation) || !Array.isArray(document.licenses)) {
      throw this.#corrupt('lacks "generation" or "licenses"');
    }
    const list = document.licenses.map((value: unknown, i) => {
      if (isCanonicalLicense(value)) return value;
      const result = licenseSchema.safeParse(value);
      if (result.success) return result.data;
      const issue = result.error.issues[0];
      throw this.#corrupt(
        `license #${i + 1} (line ${i + 2}) is invalid: ${issue?.path.join('.')} ${issue?.message}`,
      );
    });
    return { generation: document.generation as number, list };
  }

  #corrupt(detail: string): StorageError {
    return new StorageError('STORAGE_CORRUPT', `${this.path} ${detail}; the file was left untouched`);
  }
}

/** Joins many small buffers into ~1 MiB chunks: few write calls, no single huge allocation. */
function inChunks(parts: readonly Buffer[]): Buffer[] {
  const chunks: Buffer[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < parts.length; i++) {
    bytes += parts[i]!.length;
    if (bytes >= 1 << 20 || i === parts.length - 1) {
      chunks.push(Buffer.concat(parts.slice(start, i + 1), bytes));
      start = i + 1;
      bytes = 0;
    }
  }
  return chunks;
}
