import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { StorageError } from '../../domain/errors.js';
import { SerialQueue } from '../_serial-queue.js';
import { errnoCode, type FileIO, nodeFileIO, unlinkQuietly } from './file-io.js';

/** Checks, just before a write commits, that this process still holds the lock (fencing). */
export type Fence = () => Promise<void>;

/** Options of {@link FileLock}. */
export interface FileLockOptions {
  /** Give up after this long with `STORAGE_LOCK_TIMEOUT` (default 10 s). */
  timeoutMs?: number;
  io?: FileIO;
}

interface Owner {
  pid: number;
  thread: number;
  host: string;
  id: string;
}

const thisHost = hostname();
/** The in-process queue of each lock path, shared by every {@link FileLock} of that path. */
const queues = new Map<string, SerialQueue>();

/**
 * A lock shared by every process that opens the same store, plus a queue inside this process.
 * The lock file holds its owner's pid and host; a lock whose owner process is gone is taken over at
 * once (no stale timeout). Takeover renames the dead owner's file aside and checks what it renamed,
 * so two processes breaking the same stale lock cannot both win; writers also re-check ownership
 * right before each commit ({@link Fence}). Network filesystems are not supported.
 */
export class FileLock {
  readonly path: string;
  readonly #io: FileIO;
  readonly #timeoutMs: number;
  readonly #queue: SerialQueue;
  #dirReady = false;
  #swept = false;

  private constructor(path: string, queue: SerialQueue, options: FileLockOptions) {
    this.path = path;
    this.#queue = queue;
    this.#io = options.io ?? nodeFileIO;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /**
   * A lock on `path` with its own options. Every lock of one path in this process shares one queue;
   * each sweeps the leftovers of dead processes when it first runs.
   */
  static for(path: string, options: FileLockOptions = {}): FileLock {
    const absolute = resolve(path);
    let queue = queues.get(absolute);
    if (!queue) {
      queue = new SerialQueue();
      queues.set(absolute, queue);
    }
    return new FileLock(absolute, queue, options);
  }

  /** Runs `critical` while holding the lock, after every earlier caller in this process. */
  run<T>(critical: (fence: Fence) => Promise<T>): Promise<T> {
    return this.#queue.run(() => this.#holding(critical));
  }

  async #holding<T>(critical: (fence: Fence) => Promise<T>): Promise<T> {
    const token = await this.#acquire();
    try {
      if (!this.#swept) await this.#sweepOrphans();
      return await critical(() => this.#fence(token));
    } finally {
      await this.#release(token);
    }
  }

  async #acquire(): Promise<string> {
    const owner: Owner = {
      pid: process.pid,
      thread: threadId,
      host: thisHost,
      id: randomBytes(8).toString('hex'),
    };
    const token = JSON.stringify(owner);
    const deadline = Date.now() + this.#timeoutMs;
    const temp = `${this.path}.${owner.pid}.${owner.id}.tmp`;
    try {
      if (!this.#dirReady) {
        await this.#io.mkdir(dirname(this.path));
        this.#dirReady = true;
      }
      await this.#writeToken(temp, token);
      for (let attempt = 0; ; attempt++) {
        try {
          await this.#io.link(temp, this.path);
          return token;
        } catch (error) {
          if (errnoCode(error) !== 'EEXIST') throw error;
        }
        const held = await this.#read(this.path);
        if (held !== null && isStale(held)) {
          await this.#breakStale(held);
          this.#swept = false; // a dead owner may have left token files too
          continue;
        }
        if (Date.now() > deadline) {
          throw new StorageError('STORAGE_LOCK_TIMEOUT', `timed out waiting for the lock ${this.path}`);
        }
        await sleep(Math.min(25, 1 + attempt) * (0.5 + cryptoFraction()));
      }
    } catch (error) {
      if (error instanceof StorageError) throw error;
      throw new StorageError('STORAGE_IO', `could not take the lock ${this.path}`, { cause: error });
    } finally {
      await unlinkQuietly(this.#io, temp);
    }
  }

  async #writeToken(path: string, token: string): Promise<void> {
    const fd = await this.#io.open(path, 'wx', 0o600);
    try {
      const bytes = new TextEncoder().encode(token);
      const written = await this.#io.write(fd, bytes, 0, bytes.length, 0);
      if (written !== bytes.length) throw new StorageError('STORAGE_IO', `could not write the lock ${path}`);
    } finally {
      await this.#io.close(fd);
    }
  }

  /** Renames the stale file aside; if what we renamed turns out to be a live owner's, put it back. */
  async #breakStale(observed: string): Promise<void> {
    const aside = `${this.path}.${process.pid}.${randomBytes(6).toString('hex')}.stale`;
    try {
      await this.#io.rename(this.path, aside);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      throw error;
    }
    const renamed = await this.#read(aside);
    if (renamed !== observed && renamed !== null && !isStale(renamed)) {
      await this.#io.link(aside, this.path).catch(() => undefined);
    }
    await unlinkQuietly(this.#io, aside);
  }

  async #fence(token: string): Promise<void> {
    if ((await this.#read(this.path)) !== token) {
      throw new StorageError(
        'STORAGE_IO',
        `lost the lock ${this.path} to another process; nothing was written`,
      );
    }
  }

  async #release(token: string): Promise<void> {
    try {
      if ((await this.#read(this.path)) === token) await this.#io.unlink(this.path);
    } catch {
      // A lock file we fail to remove names this process; once it exits, the next taker recovers it.
    }
  }

  /** Removes token and takeover files (`<lock>.<pid>.<id>.tmp|stale`) of processes that are gone. */
  async #sweepOrphans(): Promise<void> {
    this.#swept = true;
    const prefix = `${basename(this.path)}.`;
    const dir = dirname(this.path);
    for (const name of await this.#io.readdir(dir).catch(() => [])) {
      const match =
        name.startsWith(prefix) && /^(\d+)\.[0-9a-f]+\.(tmp|stale)$/.exec(name.slice(prefix.length));
      if (match && !isAlive(Number(match[1]))) await unlinkQuietly(this.#io, join(dir, name));
    }
  }

  async #read(path: string): Promise<string | null> {
    try {
      return (await this.#io.readFile(path)).toString('utf8');
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return null;
      throw error;
    }
  }
}

/** A lock is stale when its owner is a process on this host that no longer exists. */
function isStale(content: string): boolean {
  let owner: Partial<Owner>;
  try {
    owner = JSON.parse(content) as Partial<Owner>;
  } catch {
    return true; // never written by a live owner: tokens are linked into place complete
  }
  if (owner.host !== thisHost || typeof owner.pid !== 'number') return false;
  // This thread takes each lock file through one queue, so a token of ours found while acquiring is
  // left over (from a failed release or an earlier process with the same pid).
  if (owner.pid === process.pid) return owner.thread === threadId;
  return !isAlive(owner.pid);
}

/** Whether a process with this pid exists on this host (one we may not signal still exists). */
function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) !== 'ESRCH';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function cryptoFraction(): number {
  return randomBytes(1)[0]! / 256;
}
