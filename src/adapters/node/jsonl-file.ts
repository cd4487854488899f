import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { StorageError } from '../../domain/errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { closeQuietly, errnoCode, type FileIO, fsyncDirectory, writeFully } from './file-io.js';
import type { Fence } from './file-lock.js';

/** Records larger than this are refused before any byte is written. */
export const maxRecordBytes = 1024 * 1024;

const chunkBytes = 1024 * 1024;
const newline = 0x0a;

/** One complete line of the file, parsed, with its 1-based line number. */
export interface JsonlLine {
  value: unknown;
  line: number;
}

/**
 * A versioned JSON Lines file: a header line `{"format","version"}`, then one JSON value per line.
 * Writers append under the store lock with ONE `write()` per batch, fsync before acknowledging and
 * roll a failed append back. Readers take only newline-terminated lines: an unterminated last line is a
 * write in progress or a crash mid-append, never parsed, and cut off (kept in
 * `<file>.torn-<time>-<random>`) before the next append. A bad line in the middle is an error naming
 * the file and line.
 */
export class JsonlFile {
  readonly path: string;
  readonly #io: FileIO;
  readonly #format: string;
  #offset = 0;
  #ino = -1;
  #lines = 0;

  constructor(io: FileIO, path: string, format: string) {
    this.#io = io;
    this.path = path;
    this.#format = format;
  }

  /** Records read or written so far (lines after the header). */
  get recordCount(): number {
    return Math.max(0, this.#lines - 1);
  }

  /**
   * Reads the lines appended since the last call. When the file was replaced (compacted) or cut,
   * calls `onReset` and reads it again from the start.
   */
  async catchUp(onLine: (line: JsonlLine) => void, onReset: () => void): Promise<void> {
    let ino: number;
    let size: number;
    try {
      ({ ino, size } = await this.#io.stat(this.path));
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw ioError(`could not read ${this.path}`, error);
      ino = -1;
      size = 0;
    }
    if (ino !== this.#ino || size < this.#offset) {
      if (this.#offset > 0 || this.#ino !== -1) onReset();
      this.#offset = 0;
      this.#lines = 0;
      this.#ino = ino;
    }
    if (size === this.#offset) return;
    for await (const chunk of this.#chunks(this.#offset, size)) {
      // Count lines only with the chunk they belong to: a chunk that fails is read again from its start.
      let line = this.#lines;
      for (const text of chunk.lines) this.#take(text, ++line, onLine);
      this.#lines = line;
      this.#offset = chunk.end;
    }
  }

  /** Streams the records present at call time (after a `catchUp`), in file order, chunk by chunk. */
  async *records(): AsyncGenerator<JsonlLine[]> {
    if (this.#lines === 0) return;
    let line = 0;
    for await (const chunk of this.#chunks(0, this.#offset)) {
      const batch: JsonlLine[] = [];
      for (const text of chunk.lines) {
        line++;
        if (line === 1) continue;
        batch.push({ value: this.#parse(text, line), line });
      }
      yield batch;
    }
  }

  /**
   * Appends `lines` (each one serialized JSON value) durably. Call under the lock, right after
   * `catchUp`. On any failure the file is cut back to where it was and the call rejects.
   */
  async append(lines: readonly string[], fence: Fence): Promise<void> {
    if (lines.length === 0) return;
    const created = this.#offset === 0;
    const text = `${created ? `${this.#header()}\n` : ''}${lines.join('\n')}\n`;
    const bytes = new TextEncoder().encode(text);
    // Read-write: a torn tail is read back (to keep it) before it is cut.
    const fd = await this.#io.open(this.path, 'a+', 0o600).catch((error) => {
      throw ioError(`could not open ${this.path}`, error);
    });
    try {
      const { size, ino } = await this.#io.fstat(fd);
      if (size > this.#offset) await this.#cutTornTail(fd, size);
      await fence();
      let committed = false;
      try {
        const written = await this.#io.write(fd, bytes, 0, bytes.length, null);
        if (written !== bytes.length) throw new Error(`short write: ${written} of ${bytes.length} bytes`);
        await this.#io.fsync(fd);
        committed = true;
      } finally {
        if (!committed) await this.#io.ftruncate(fd, this.#offset).catch(() => undefined);
      }
      if (created) await fsyncDirectory(this.#io, dirname(this.path));
      this.#offset += bytes.length;
      this.#lines += lines.length + (created ? 1 : 0);
      this.#ino = ino;
    } catch (error) {
      if (error instanceof StorageError) throw error;
      throw ioError(`could not append to ${this.path}`, error);
    } finally {
      await closeQuietly(this.#io, fd);
    }
  }

  /** Atomically replaces the whole file with the header and `lines` (compaction). Call under the lock. */
  async rewrite(lines: readonly string[], fence: Fence): Promise<void> {
    const text = `${this.#header()}\n${lines.map((line) => `${line}\n`).join('')}`;
    const bytes = new TextEncoder().encode(text);
    await writeFileAtomic(this.#io, this.path, bytes, { beforeCommit: fence });
    const { ino } = await this.#io.stat(this.path);
    this.#offset = bytes.length;
    this.#lines = lines.length + 1;
    this.#ino = ino;
  }

  #header(): string {
    return JSON.stringify({ format: this.#format, version: 1 });
  }

  #take(text: string, line: number, onLine: (line: JsonlLine) => void): void {
    const value = this.#parse(text, line);
    if (line === 1) this.#checkHeader(value);
    else onLine({ value, line });
  }

  #parse(text: string, line: number): unknown {
    try {
      return JSON.parse(text);
    } catch {
      throw new StorageError(
        'STORAGE_CORRUPT',
        `${this.path} line ${line} is not valid JSON; the file was left untouched`,
      );
    }
  }

  #checkHeader(value: unknown): void {
    const header = value as { format?: unknown; version?: unknown } | null;
    if (header === null || typeof header !== 'object' || header.format !== this.#format) {
      throw new StorageError('STORAGE_CORRUPT', `${this.path} line 1 is not a ${this.#format} header`);
    }
    if (header.version !== 1) {
      throw new StorageError(
        'STORAGE_UNSUPPORTED_VERSION',
        `${this.path} has format version ${String(header.version)}; this licensekit reads version 1`,
      );
    }
  }

  async #cutTornTail(fd: number, size: number): Promise<void> {
    const torn = new Uint8Array(size - this.#offset);
    await this.#io.read(fd, torn, 0, torn.length, this.#offset);
    // Random too: a cut that failed may be retried within the same millisecond.
    const name = `${this.path}.torn-${Date.now()}-${randomBytes(4).toString('hex')}`;
    const keep = await this.#io.open(name, 'wx', 0o600);
    try {
      await writeFully(this.#io, keep, torn, 0);
      await this.#io.fsync(keep);
    } finally {
      await this.#io.close(keep);
    }
    await this.#io.ftruncate(fd, this.#offset);
    await this.#io.fsync(fd);
  }

  async *#chunks(start: number, end: number): AsyncGenerator<{ lines: string[]; end: number }> {
    let fd: number;
    try {
      fd = await this.#io.open(this.path, 'r');
    } catch (error) {
      throw ioError(`could not read ${this.path}`, error);
    }
    try {
      let position = start;
      let carry: Uint8Array = new Uint8Array(0);
      while (position < end) {
        const buffer = new Uint8Array(carry.length + Math.min(chunkBytes, end - position));
        buffer.set(carry);
        const read = await this.#io.read(fd, buffer, carry.length, buffer.length - carry.length, position);
        if (read === 0) break;
        position += read;
        const filled = buffer.subarray(0, carry.length + read);
        const last = filled.lastIndexOf(newline);
        if (last === -1) {
          carry = filled;
          continue;
        }
        const text = Buffer.from(filled.buffer, filled.byteOffset, last).toString('utf8');
        carry = filled.slice(last + 1);
        yield { lines: text.split('\n'), end: position - carry.length };
      }
    } finally {
      await closeQuietly(this.#io, fd);
    }
  }
}

function ioError(message: string, cause: unknown): StorageError {
  return new StorageError('STORAGE_IO', message, { cause });
}
