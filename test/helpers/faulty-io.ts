import { type FileIO, nodeFileIO } from '../../src/adapters/node/file-io.js';

/** The operations {@link FaultyIO} can fail. */
export type FaultOp = 'write' | 'fsync' | 'rename' | 'close' | 'ftruncate' | 'link';

/** One injected fault: the how-many-th faultable call it was, the operation and the file. */
export interface Fault {
  call: number;
  op: FaultOp;
  path: string;
}

/** How {@link FaultyIO.arm} fails calls. */
export interface FaultPlan {
  /** Fail the Nth faultable call (1-based) from now on. */
  at: number;
  /** Fail every call from the Nth on (SQLite's "persistent" mode), not just the Nth. */
  persistent?: boolean;
  code?: 'EIO' | 'ENOSPC';
  /** Count (and fail) only calls of this operation. */
  only?: FaultOp;
}

/**
 * A {@link FileIO} over `node:fs` that fails chosen calls, for the SQLite-style I/O error loop:
 * arm it to fail the Nth call of write/fsync/rename/close/ftruncate/link, run one operation, then
 * look at {@link FaultyIO.faults}. A failed call does nothing, except `close`, which (like Linux)
 * releases the descriptor and then reports the error. It also records an fsync retried on a
 * descriptor whose fsync failed (A3: a failed fsync must never be retried on the same data).
 */
export class FaultyIO implements FileIO {
  readonly faults: Fault[] = [];
  /** Descriptors fsync'd again after their fsync failed. */
  readonly fsyncRetries: string[] = [];
  #plan: FaultPlan | null = null;
  #calls = 0;
  #shortWrite = 0;
  #writes = 0;
  readonly #paths = new Map<number, string>();
  readonly #fsyncFailed = new Set<number>();

  /** Starts failing calls as `plan` says; clears the faults seen so far. */
  arm(plan: FaultPlan): void {
    this.#plan = plan;
    this.#calls = 0;
    this.faults.length = 0;
  }

  /** Makes the `nth` write from now on write half its bytes and report that (a short write), once. */
  armShortWrite(nth: number): void {
    this.#shortWrite = nth;
    this.#writes = 0;
  }

  /** Stops injecting faults; returns the ones injected since `arm`. */
  disarm(): Fault[] {
    this.#plan = null;
    this.#shortWrite = 0;
    return [...this.faults];
  }

  open = async (path: string, flags: string, mode?: number): Promise<number> => {
    const fd = await nodeFileIO.open(path, flags, mode);
    this.#paths.set(fd, path);
    return fd;
  };

  write = async (
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<number> => {
    this.#maybeFail('write', this.#path(fd));
    if (this.#shortWrite > 0 && ++this.#writes === this.#shortWrite && length > 1) {
      this.#shortWrite = 0;
      return nodeFileIO.write(fd, buffer, offset, Math.floor(length / 2), position);
    }
    return nodeFileIO.write(fd, buffer, offset, length, position);
  };

  fsync = async (fd: number): Promise<void> => {
    if (this.#fsyncFailed.has(fd)) this.fsyncRetries.push(this.#path(fd));
    try {
      this.#maybeFail('fsync', this.#path(fd));
    } catch (error) {
      this.#fsyncFailed.add(fd);
      throw error;
    }
    return nodeFileIO.fsync(fd);
  };

  ftruncate = async (fd: number, length: number): Promise<void> => {
    this.#maybeFail('ftruncate', this.#path(fd));
    return nodeFileIO.ftruncate(fd, length);
  };

  close = async (fd: number): Promise<void> => {
    const path = this.#path(fd);
    this.#paths.delete(fd);
    this.#fsyncFailed.delete(fd);
    await nodeFileIO.close(fd);
    this.#maybeFail('close', path);
  };

  rename = async (from: string, to: string): Promise<void> => {
    this.#maybeFail('rename', to);
    return nodeFileIO.rename(from, to);
  };

  link = async (existing: string, newPath: string): Promise<void> => {
    this.#maybeFail('link', newPath);
    return nodeFileIO.link(existing, newPath);
  };

  read = nodeFileIO.read;
  fstat = nodeFileIO.fstat;
  stat = nodeFileIO.stat;
  unlink = nodeFileIO.unlink;
  readFile = nodeFileIO.readFile;
  readdir = nodeFileIO.readdir;
  mkdir = nodeFileIO.mkdir;

  #path(fd: number): string {
    return this.#paths.get(fd) ?? `fd ${fd}`;
  }

  #maybeFail(op: FaultOp, path: string): void {
    const plan = this.#plan;
    if (plan === null || (plan.only !== undefined && plan.only !== op)) return;
    this.#calls++;
    if (plan.persistent ? this.#calls < plan.at : this.#calls !== plan.at) return;
    this.faults.push({ call: this.#calls, op, path });
    const code = plan.code ?? 'EIO';
    throw Object.assign(new Error(`${code}: injected fault in ${op} (${path})`), { code, syscall: op });
  }
}
