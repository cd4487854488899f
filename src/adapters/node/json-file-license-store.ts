import { basename } from 'node:path';
import { StorageError } from '../../domain/errors.js';
import { isCanonicalLicense, type License, licenseKeyIndex, licenseSchema } from '../../domain/license.js';
import type { LicenseStore } from '../../ports/storage.js';
import type { LicenseTable } from '../_license-table.js';
import { sweepTempFiles, writeFileAtomic } from './atomic-write.js';
import { closeQuietly, errnoCode, type FileIO, nodeFileIO } from './file-io.js';
import {
  type FileLicenseStoreOptions,
  fileLicenseStore,
  type LicenseFile,
  type TableWrite,
} from './file-license-store.js';
import type { Fence } from './file-lock.js';
import type { LicenseSink } from './license-cache.js';
import { LicenseLine } from './license-line.js';
import { StorePath } from './store-path.js';

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
const listOpen = '"licenses":[\n';
const footerText = '\n]}\n';
const footer = Buffer.from(footerText);
/** Lines per chunk of the file (~1 MiB of typical licenses): a write encodes only the chunks that changed. */
const linesPerChunk = 2048;

/** A file as read: its bytes, their text, and the licenses parsed from it, each as the file holds it. */
interface FileAsRead {
  bytes: Buffer;
  text: string;
  list: readonly License[];
}

/** A run of {@link linesPerChunk} lines (fewer at the end) and their bytes, with the separator before them. */
interface Chunk {
  lines: LicenseLine[];
  bytes: Buffer;
}

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
  readonly store: StorePath;
  readonly #io: FileIO;
  /** The generation of the file the table matches; -1 before the first read. */
  #generation = -1;
  /** The licenses as last written, so a write serializes and encodes only what changed. */
  #chunks: Chunk[] = [];
  /**
   * The file as last read, until the next write takes its chunks from it (see {@link chunksAsRead}).
   * Its text and bytes stay in memory until then, as the chunks of a write do after it.
   */
  #asRead: FileAsRead | null = null;

  constructor(path: string, io: FileIO) {
    this.store = new StorePath(io, path);
    this.#io = io;
  }

  async recover(): Promise<void> {
    await sweepTempFiles(this.#io, await this.store.real());
  }

  async refresh(licenses: LicenseSink): Promise<void> {
    const generation = await this.#readGeneration();
    if (generation === this.#generation) return;
    if (generation === 0) {
      licenses.clear();
      this.#chunks = [];
      this.#asRead = null;
      this.#generation = 0;
      return;
    }
    const loaded = await this.#load();
    // Until the reload succeeds the tables match no generation: a failed one is tried again.
    this.#generation = -1;
    licenses.clear();
    this.#chunks = [];
    this.#asRead = null;
    for (const license of loaded.list) licenses.put(license);
    if (licenses.size !== loaded.list.length) {
      licenses.clear();
      throw this.#corrupt('has two licenses with one key');
    }
    this.#generation = loaded.generation;
    this.#asRead = loaded.asRead;
  }

  persist(
    table: LicenseTable,
    staged: ReadonlyMap<string, License>,
    fence: Fence,
    writeTable: TableWrite,
  ): Promise<void> {
    // Every write rewrites the whole table.
    return writeTable(async () => {
      const generation = this.#generation + 1;
      const chunks = this.#encode(table, staged);
      const head = Buffer.from(`${headText}${generation},"licenses":[\n`);
      const path = await this.store.real();
      await writeFileAtomic(this.#io, path, [head, ...chunks.map((chunk) => chunk.bytes), footer], {
        backupPath: `${path}.bak`,
        beforeCommit: fence,
      });
      this.#generation = generation;
      this.#chunks = chunks;
    });
  }

  /** The chunks of the table with `staged` on top: in table order, new licenses last. */
  #encode(table: LicenseTable, staged: ReadonlyMap<string, License>): Chunk[] {
    if (this.#asRead !== null) {
      // The first write after a load: the file holds what was read, in these chunks.
      this.#chunks = chunksAsRead(this.#asRead);
      this.#asRead = null;
    }
    const chunks: Chunk[] = [];
    let lines: LicenseLine[] = [];
    const add = (license: License) => {
      // The line last written at the same place: the table keeps its order and appends new licenses.
      const previous = this.#chunks[chunks.length]?.lines[lines.length];
      lines.push(LicenseLine.of(license, previous));
      if (lines.length === linesPerChunk) {
        chunks.push(this.#chunk(chunks.length, lines));
        lines = [];
      }
    };
    let replaced = 0;
    for (const license of table.values()) {
      const next = staged.get(licenseKeyIndex(license.key));
      if (next !== undefined) replaced++;
      add(next ?? license);
    }
    if (replaced < staged.size) {
      // New licenses go last, in the order they were staged.
      for (const [key, license] of staged) if (table.get(key) === null) add(license);
    }
    if (lines.length > 0) chunks.push(this.#chunk(chunks.length, lines));
    return chunks;
  }

  /** Chunk `index` of the licenses: as last written if it holds the same lines, else encoded anew. */
  #chunk(index: number, lines: LicenseLine[]): Chunk {
    const written = this.#chunks[index];
    if (written?.lines.length === lines.length && lines.every((line, i) => line === written.lines[i])) {
      return written;
    }
    let text = index === 0 ? lines[0]!.text() : `,\n${lines[0]!.text()}`;
    for (let i = 1; i < lines.length; i++) text += `,\n${lines[i]!.text()}`;
    return { lines, bytes: Buffer.from(text) };
  }

  /** The generation in the file's first bytes (0 when there is no file), or -2 when it is not there. */
  async #readGeneration(): Promise<number> {
    let fd: number;
    try {
      fd = await this.#io.open(await this.store.real(), 'r');
    } catch (error) {
      if (error instanceof StorageError) throw error;
      if (errnoCode(error) === 'ENOENT') return 0;
      throw new StorageError('STORAGE_IO', `could not read ${this.store.given}`, { cause: error });
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

  async #load(): Promise<{ generation: number; list: License[]; asRead: FileAsRead | null }> {
    let bytes: Buffer;
    try {
      bytes = await this.#io.readFile(await this.store.real());
    } catch (error) {
      if (error instanceof StorageError) throw error;
      if (errnoCode(error) === 'ENOENT') return { generation: 0, list: [], asRead: null };
      throw new StorageError('STORAGE_IO', `could not read ${this.store.given}`, { cause: error });
    }
    const text = bytes.toString('utf8');
    const name = basename(this.store.given);
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
        `${this.store.given} has format version ${String(document.version)}; this licensekit reads version 1`,
      );
    }
    if (!Number.isSafeInteger(document.generation) || !Array.isArray(document.licenses)) {
      throw this.#corrupt('lacks "generation" or "licenses"');
    }
    let asRead = true;
    const list = document.licenses.map((value: unknown, i) => {
      if (isCanonicalLicense(value)) return value;
      const result = licenseSchema.safeParse(value);
      asRead = false;
      if (result.success) return result.data;
      const issue = result.error.issues[0];
      throw this.#corrupt(
        `license #${i + 1} (line ${i + 2}) is invalid: ${issue?.path.join('.')} ${issue?.message}`,
      );
    });
    return {
      generation: document.generation as number,
      list,
      // A license the schema changed is not in the file as held: every line is written afresh.
      asRead: asRead ? { bytes, text, list } : null,
    };
  }

  #corrupt(detail: string): StorageError {
    return new StorageError('STORAGE_CORRUPT', `${this.store.given} ${detail}; the file was left untouched`);
  }
}

/**
 * The chunks of a file as read, so that the first write after a load re-encodes only the chunks
 * that change, as every later write does: each line keeps its text, each chunk its bytes. Only for
 * the layout licensekit writes (the head on the first line, then one license per line, each but the
 * last followed by `,`, then the footer); `[]` for any other, such as a file edited by hand.
 * A line that starts with its own license's key at the start of a line holds that license whole:
 * line breaks cannot occur inside JSON strings, and with as many lines as licenses no license
 * spans two lines.
 */
function chunksAsRead({ bytes, text, list }: FileAsRead): Chunk[] {
  let at = text.indexOf('\n') + 1;
  // The head is ASCII, so its bytes and characters line up.
  if (list.length === 0 || at !== bytes.indexOf(10) + 1 || !text.startsWith(listOpen, at - listOpen.length)) {
    return [];
  }
  const chunks: Chunk[] = [];
  let lines: LicenseLine[] = [];
  let byteAt = at;
  let chunkStart = at;
  for (let i = 0; i < list.length; i++) {
    const license = list[i]!;
    const last = i === list.length - 1;
    const newline = text.indexOf('\n', at);
    const byteNewline = bytes.indexOf(10, byteAt);
    // A line break is one byte: the two searches find the same ones.
    const end = last ? newline : newline - 1;
    if (
      newline < 0 ||
      (!last && text.charCodeAt(end) !== 44) || // ','
      !startsWithKey(text, at, license.key)
    ) {
      return [];
    }
    lines.push(LicenseLine.read(license, text.slice(at, end)));
    const byteEnd = last ? byteNewline : byteNewline - 1;
    if (lines.length === linesPerChunk || last) {
      chunks.push({ lines, bytes: bytes.subarray(chunkStart, byteEnd) });
      lines = [];
      chunkStart = byteEnd;
    }
    at = newline + 1;
    byteAt = byteNewline + 1;
  }
  return text.length === at - 1 + footerText.length && text.endsWith(footerText) ? chunks : [];
}

const keyOpen = '{"key":"';

/**
 * Whether `text` at `at` opens a license whose key is `key`, written without escapes (a key that
 * needs them does not match: its file is simply written afresh).
 */
function startsWithKey(text: string, at: number, key: string): boolean {
  return (
    text.startsWith(keyOpen, at) &&
    text.startsWith(key, at + keyOpen.length) &&
    text.charCodeAt(at + keyOpen.length + key.length) === 34 // '"'
  );
}
