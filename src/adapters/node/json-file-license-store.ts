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
import {
  comma,
  isFileGeneration,
  type LicenseFileLines,
  licenseFileFooter,
  licenseFileFormat,
  lineBreak,
  readLicenseFileLines,
} from './license-file-lines.js';
import { LicenseLine, type LineToWrite } from './license-line.js';
import { StorePath } from './store-path.js';

/** Options of {@link jsonFileLicenseStore}. */
export interface JsonFileLicenseStoreOptions extends FileLicenseStoreOptions {
  /** The JSON document, e.g. `data/licenses.json` (created on the first write, mode 0600). */
  path: string;
  /** @internal File operations, replaced by fault-injection tests. */
  io?: FileIO;
}

const format = licenseFileFormat;
const headText = `{"format":"${format}","version":1,"generation":`;
// Generation 0 stands for "no file": a head that claims it is not trusted, the file is read in full.
const headPattern = new RegExp(`^\\{"format":"${format}","version":(\\d+),"generation":([1-9]\\d*),`);
const footer = Buffer.from(licenseFileFooter);
/** Lines per chunk of the file (~1 MiB of typical licenses): a write encodes only the chunks that changed. */
const linesPerChunk = 2048;

/** A file laid out as the store writes it, read line by line, and its licenses, each as parsed. */
interface FileAsRead {
  fileLines: LicenseFileLines;
  list: readonly License[];
}

/**
 * A run of {@link linesPerChunk} lines (fewer at the end) and their bytes, each line but the file's
 * first preceded by its separator.
 */
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
  /**
   * The licenses as last written (after a read, taken from `#asRead` by the first write), so a write
   * encodes only what changed.
   */
  #chunks: Chunk[] = [];
  /**
   * The file as last read, until the next write takes its chunks from it (see {@link chunksAsRead}).
   * Its bytes stay in memory while a line or chunk still uses them, usually as long as the store is
   * open; the chunks a write encodes hold as many bytes.
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
    return writeTable(async (committed) => {
      const generation = this.#generation + 1;
      const chunks = this.#encode(table, staged);
      const head = Buffer.from(`${headText}${generation},"licenses":[\n`);
      const path = await this.store.real();
      await writeFileAtomic(this.#io, path, [head, ...chunks.map((chunk) => chunk.bytes), footer], {
        backupPath: `${path}.bak`,
        beforeCommit: fence,
        // The file holds the table from the rename on; a failure after it leaves the generation
        // unknown, so the next read loads the file, staged changes included.
        afterCommit: async () => committed(),
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
    let lines: LineToWrite[] = [];
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

  /**
   * Chunk `index` of the licenses: as last written if it holds the same lines, else the lines'
   * bytes copied into a buffer of its own, each line preceded by its separator (`,` and a line
   * break) but the very first.
   */
  #chunk(index: number, lines: LineToWrite[]): Chunk {
    const written = this.#chunks[index];
    if (written?.lines.length === lines.length && lines.every((line, i) => line === written.lines[i])) {
      return written;
    }
    let length = 2 * lines.length - (index === 0 ? 2 : 0);
    for (const line of lines) length += line.length;
    const bytes = Buffer.alloc(length);
    let at = 0;
    const placed = lines.map((line) => {
      if (at > 0 || index > 0) {
        bytes[at++] = comma;
        bytes[at++] = lineBreak;
      }
      const copy = line.writeTo(bytes, at);
      at += copy.length;
      return copy;
    });
    return { lines: placed, bytes };
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
    const fileLines = readLicenseFileLines(bytes, text);
    const { generation, values } = fileLines ?? this.#parseDocument(text);
    let canonical = true;
    const list = values.map((value: unknown, i) => {
      if (isCanonicalLicense(value)) return value;
      canonical = false;
      const result = licenseSchema.safeParse(value);
      if (result.success) return result.data;
      const issue = result.error.issues[0];
      // Laid out as the store writes it, license i is on line i + 2; otherwise its key tells which.
      const where = fileLines !== null ? `line ${i + 2}` : `key ${JSON.stringify(keyOf(value))}`;
      throw this.#corrupt(
        `license #${i + 1} (${where}) is invalid: ${issue?.path.join('.')} ${issue?.message}`,
      );
    });
    // The file's bytes are written again only for licenses held as the file has them, and only from
    // valid UTF-8 (a decoding error became U+FFFD, which the bytes do not hold).
    const reusable = fileLines !== null && canonical && !text.includes('\uFFFD');
    return { generation, list, asRead: reusable ? { fileLines, list } : null };
  }

  /** The generation and license values of a document read whole: a file not laid out as the store writes. */
  #parseDocument(text: string): { generation: number; values: unknown[] } {
    const name = basename(this.store.given);
    let document: { format?: unknown; version?: unknown; generation?: unknown; licenses?: unknown };
    try {
      document = JSON.parse(text);
    } catch (error) {
      const line = syntaxErrorLine(text, (error as Error).message);
      const at = line === null ? '' : ` at line ${line}`;
      throw this.#corrupt(
        `is not valid JSON${at} (${(error as Error).message}${text.length === 0 ? ', empty file' : ''})`,
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
    if (!isFileGeneration(document.generation) || !Array.isArray(document.licenses)) {
      throw this.#corrupt('lacks "generation" (an integer from 1) or "licenses"');
    }
    return { generation: document.generation, values: document.licenses };
  }

  #corrupt(detail: string): StorageError {
    return new StorageError('STORAGE_CORRUPT', `${this.store.given} ${detail}; the file was left untouched`);
  }
}

/** The `key` of a license value that has a string one, for naming it; `null` otherwise. */
function keyOf(value: unknown): string | null {
  const key = typeof value === 'object' && value !== null ? (value as { key?: unknown }).key : undefined;
  return typeof key === 'string' ? key : null;
}

/**
 * The line (from 1) of the JSON syntax error `message` reports in `text`: from its position when it
 * gives one, else the first line that is not JSON on its own (without its trailing `,`), between
 * the head and the footer of the store's layout. `null` when neither says.
 */
function syntaxErrorLine(text: string, message: string): number | null {
  const position = /at position (\d+)/.exec(message);
  if (position !== null) return text.slice(0, Number(position[1])).split('\n').length;
  const lines = text.split('\n');
  // Only a file laid out as the store writes it has one value a line.
  if (!lines[0]!.startsWith(headText) || !lines[0]!.endsWith('"licenses":[')) return null;
  for (let i = 1; i < lines.length - 2; i++) {
    try {
      JSON.parse(lines[i]!.replace(/,$/, ''));
    } catch {
      return i + 1;
    }
  }
  return null;
}

/**
 * The chunks of a file as read (see {@link readLicenseFileLines}), so that the first write after a
 * read encodes only the chunks that change, as every later write does: each line keeps its bytes
 * until its license changes, each chunk its bytes until one of its lines does.
 */
function chunksAsRead({ fileLines, list }: FileAsRead): Chunk[] {
  const { bytes, starts, ends } = fileLines;
  const chunks: Chunk[] = [];
  for (let first = 0; first < list.length; first += linesPerChunk) {
    const end = Math.min(first + linesPerChunk, list.length);
    const lines: LicenseLine[] = [];
    for (let i = first; i < end; i++) {
      lines.push(LicenseLine.read(list[i]!, bytes, starts[i]!, ends[i]!));
    }
    // From the `,` that ends the chunk before (its separator), as the encoder writes it.
    const from = first === 0 ? starts[0]! : ends[first - 1]!;
    chunks.push({ lines, bytes: bytes.subarray(from, ends[end - 1]) });
  }
  return chunks;
}
