import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { StorageError } from '../../domain/errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { closeQuietly, errnoCode, type FileIO, fsyncDirectory, writeFully } from './file-io.js';
import type { Fence } from './file-lock.js';
import type { StorePath } from './store-path.js';

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
 * A versioned JSON Lines file: a header line `{"format","version","epoch"}`, then one JSON value per
 * line. Writers append under the store lock with ONE `write()` per batch, fsync before acknowledging and
 * roll a failed append back. Readers take only newline-terminated lines: an unterminated last line is a
 * write in progress or a crash mid-append, never parsed, and cut off (kept in
 * `<file>.torn-<time>-<random>`) before the next append. A bad line in the middle is an error naming
 * the file and line.
 *
 * `epoch` is random, new each time the file is created or rewritten (compacted): a reader reads on
 * from its offset only while the file has the inode, at least the size and the exact header line it
 * read, so a rewritten file that got a freed inode number again is never taken for the old one. The
 * field is optional (files of earlier versions have none and are still version 1; readers that do not
 * know it ignore it): such a file counts as new only when its inode changes or it shrinks, until its
 * first rewrite gives it an epoch. A failed append is rolled back by a rewrite too (see `append`).
 *
 * The file is opened at the real path of its {@link StorePath}.
 */
export class JsonlFile {
  /** The path as given, for messages. */
  readonly path: string;
  readonly #store: StorePath;
  readonly #io: FileIO;
  readonly #format: string;
  #offset = 0;
  #ino = -1;
  #lines = 0;
  /** The header line (with its newline) of the file read so far; null before line 1 is read or written. */
  #header: Uint8Array | null = null;

  constructor(io: FileIO, store: StorePath, format: string) {
    this.#io = io;
    this.#store = store;
    this.path = store.given;
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
    const path = await this.#store.real();
    let fd: number;
    try {
      fd = await this.#io.open(path, 'r');
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw ioError(`could not read ${this.path}`, error);
      this.#restart(-1, onReset);
      return;
    }
    // One descriptor for the checks and the reading: a file swapped in meanwhile is never mixed in.
    try {
      const { ino, size } = await this.#io.fstat(fd);
      if (ino !== this.#ino || size < this.#offset || !(await this.#sameHeader(fd))) {
        this.#restart(ino, onReset);
      }
      for await (const chunk of this.#chunks(fd, this.#offset, size)) {
        // Count lines only with the chunk they belong to: a chunk that fails is read again from its start.
        let line = this.#lines;
        for (const text of chunk.lines) this.#take(text, ++line, onLine);
        this.#lines = line;
        this.#offset = chunk.end;
      }
    } catch (error) {
      if (error instanceof StorageError) throw error;
      throw ioError(`could not read ${this.path}`, error);
    } finally {
      await closeQuietly(this.#io, fd);
    }
  }

  /** Streams the records present at call time (after a `catchUp`), in file order, chunk by chunk. */
  async *records(): AsyncGenerator<JsonlLine[]> {
    if (this.#lines === 0) return;
    const fd = await this.#io.open(await this.#store.real(), 'r').catch((error) => {
      throw ioError(`could not read ${this.path}`, error);
    });
    try {
      let line = 0;
      for await (const chunk of this.#chunks(fd, 0, this.#offset)) {
        const batch: JsonlLine[] = [];
        for (const text of chunk.lines) {
          line++;
          if (line === 1) continue;
          batch.push({ value: this.#parse(text, line), line });
        }
        yield batch;
      }
    } finally {
      await closeQuietly(this.#io, fd);
    }
  }

  /**
   * Appends `lines` (each one serialized JSON value) durably. Call under the lock, right after
   * `catchUp`. On any failure the file is rolled back to what it was (see `#rollBack`) and the call
   * rejects.
   */
  async append(lines: readonly string[], fence: Fence): Promise<void> {
    if (lines.length === 0) return;
    const path = await this.#store.real();
    const created = this.#offset === 0;
    const header = created ? newHeader(this.#format) : new Uint8Array(0);
    const body = new TextEncoder().encode(`${lines.join('\n')}\n`);
    const bytes = Buffer.concat([header, body]);
    // Read-write: a torn tail is read back (to keep it) before it is cut, a failed append to roll it back.
    const fd = await this.#io.open(path, 'a+', 0o600).catch((error) => {
      throw ioError(`could not open ${this.path}`, error);
    });
    try {
      const { size, ino } = await this.#io.fstat(fd);
      if (size > this.#offset) await this.#cutTornTail(path, fd, size);
      await fence();
      let committed = false;
      try {
        const written = await this.#io.write(fd, bytes, 0, bytes.length, null);
        if (written !== bytes.length) throw new Error(`short write: ${written} of ${bytes.length} bytes`);
        await this.#io.fsync(fd);
        committed = true;
      } finally {
        if (!committed) await this.#rollBack(path, fd, ino, fence);
      }
      if (created) await fsyncDirectory(this.#io, dirname(path));
      this.#offset += bytes.length;
      this.#lines += lines.length + (created ? 1 : 0);
      this.#ino = ino;
      if (created) this.#header = header;
    } catch (error) {
      if (error instanceof StorageError) throw error;
      throw ioError(`could not append to ${this.path}`, error);
    } finally {
      await closeQuietly(this.#io, fd);
    }
  }

  /**
   * Atomically replaces the whole file with the header and `lines` (compaction). Call under the lock.
   * `committed` is called once the file is replaced, even if making that durable then fails.
   */
  async rewrite(lines: readonly string[], fence: Fence, committed?: () => void): Promise<void> {
    const body = new TextEncoder().encode(lines.map((line) => `${line}\n`).join(''));
    await this.#replace(await this.#store.real(), [body], body.length, lines.length, fence, committed);
  }

  /**
   * Undoes a failed append to the file open at `fd`. A file with records is replaced by a copy of its
   * records up to `#offset` under a new header (a new epoch): a reader in another process that read
   * the failed bytes then starts over. Cutting the file back alone would keep its header, so such a
   * reader would keep records never stored and, once later appends grew the file past its offset, read
   * on from the middle of one. The copy costs a rewrite of the whole file, but only after an I/O
   * error. A file without records is cut back (its next append writes a new header). When the copy
   * fails too (a full disk), the file is cut back and given a new header in place
   * (`#renewHeader`). Failures here are not reported: the append's own error is.
   */
  async #rollBack(path: string, fd: number, ino: number, fence: Fence): Promise<void> {
    const header = this.#header;
    if (this.#offset > 0 && header !== null) {
      const kept = this.#range(fd, header.length, this.#offset);
      try {
        await this.#replace(path, kept, this.#offset - header.length, this.#lines - 1, fence);
        return;
      } catch {
        // Cut back below: the failed append must not stay.
      }
    }
    try {
      await this.#io.ftruncate(fd, this.#offset);
      if (this.#offset > 0) await this.#renewHeader(path, ino);
    } catch {
      // The append rejects with its own error; a later append cuts what is left as a torn tail.
    }
  }

  /**
   * Starts a new generation of the file at `path` (inode `ino`) in place: overwrites its header with
   * one of the same length and a fresh epoch, so readers that read bytes since cut off start over.
   * The epoch is fixed-width hex, so even a header overwritten in part is a valid one that differs.
   * Written through a descriptor of its own: an `a+` one ignores the position on Linux. A header
   * without an epoch (files of earlier versions) has another length, and is left as it is.
   */
  async #renewHeader(path: string, ino: number): Promise<void> {
    const header = newHeader(this.#format);
    if (header.length !== this.#header?.length) return;
    const fd = await this.#io.open(path, 'r+');
    try {
      // Not a file swapped in at `path` meanwhile.
      if ((await this.#io.fstat(fd)).ino !== ino) return;
      await writeFully(this.#io, fd, header, 0);
      await this.#io.fsync(fd);
    } finally {
      await closeQuietly(this.#io, fd);
    }
    this.#header = header;
  }

  /**
   * Atomically replaces the file at `path` with a new header and `body` (`length` bytes, `records`
   * lines), and reads on from its end. Call under the lock.
   */
  async #replace(
    path: string,
    body: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    length: number,
    records: number,
    fence: Fence,
    committed?: () => void,
  ): Promise<void> {
    const header = newHeader(this.#format);
    await writeFileAtomic(this.#io, path, chain(header, body), {
      beforeCommit: fence,
      // Known from the rename on, even if the directory fsync then fails: a file taken for another
      // process's would be read afresh, adding this process's telemetry to what it already holds.
      afterCommit: async () => {
        const { ino } = await this.#io.stat(path);
        this.#offset = header.length + length;
        this.#lines = records + 1;
        this.#ino = ino;
        this.#header = header;
        committed?.();
      },
    });
  }

  /** The bytes of the file open at `fd` from `start` to `end`, chunk by chunk. */
  async *#range(fd: number, start: number, end: number): AsyncGenerator<Uint8Array> {
    for (let position = start; position < end; ) {
      const chunk = new Uint8Array(Math.min(chunkBytes, end - position));
      const read = await this.#io.read(fd, chunk, 0, chunk.length, position);
      if (read === 0) throw new Error(`${this.path} ended at byte ${position}, expected ${end}`);
      position += read;
      yield chunk.subarray(0, read);
    }
  }

  /** Forgets what was read (calling `onReset` if anything was) before reading the file at `ino` afresh. */
  #restart(ino: number, onReset: () => void): void {
    if (this.#offset > 0 || this.#ino !== -1) onReset();
    this.#offset = 0;
    this.#lines = 0;
    this.#ino = ino;
    this.#header = null;
  }

  /** Whether the file open at `fd` starts with the header line read so far (trivially, if none was). */
  async #sameHeader(fd: number): Promise<boolean> {
    if (this.#offset === 0 || this.#header === null) return true;
    const start = new Uint8Array(this.#header.length);
    const read = await this.#io.read(fd, start, 0, start.length, 0);
    return read === start.length && Buffer.compare(start, this.#header) === 0;
  }

  #take(text: string, line: number, onLine: (line: JsonlLine) => void): void {
    const value = this.#parse(text, line);
    if (line === 1) {
      this.#checkHeader(value);
      this.#header = Buffer.from(`${text}\n`);
    } else onLine({ value, line });
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

  async #cutTornTail(path: string, fd: number, size: number): Promise<void> {
    const torn = new Uint8Array(size - this.#offset);
    await this.#io.read(fd, torn, 0, torn.length, this.#offset);
    // Random too: a cut that failed may be retried within the same millisecond.
    const name = `${path}.torn-${Date.now()}-${randomBytes(4).toString('hex')}`;
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

  /** The complete lines of the file open at `fd` between byte `start` and `end`, chunk by chunk. */
  async *#chunks(fd: number, start: number, end: number): AsyncGenerator<{ lines: string[]; end: number }> {
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
  }
}

/** `first`, then the chunks of `rest`. */
async function* chain(
  first: Uint8Array,
  rest: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  yield first;
  yield* rest;
}

/** A header line with a fresh random epoch: the identity of one generation of the file. */
function newHeader(format: string): Uint8Array {
  const epoch = randomBytes(8).toString('hex');
  return Buffer.from(`${JSON.stringify({ format, version: 1, epoch })}\n`);
}

function ioError(message: string, cause: unknown): StorageError {
  return new StorageError('STORAGE_IO', message, { cause });
}
