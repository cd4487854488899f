import { randomBytes } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageError } from '../../domain/errors.js';
import { SerialQueue } from '../_serial-queue.js';
import { errnoCode, type FileIO, nodeFileIO, unlinkQuietly } from './file-io.js';
import { removeIfHolds, takeOverStale } from './lock-takeover.js';
import {
  describeOwner,
  heldTokens,
  isOrphanScratch,
  isStale,
  newToken,
  readToken,
  scratchFile,
  writeToken,
} from './lock-token.js';
import type { StorePath } from './store-path.js';

/** Checks, just before a write commits, that this process still holds the lock (fencing). */
export type Fence = () => Promise<void>;

/** Options of {@link FileLock}. */
export interface FileLockOptions {
  /** Give up after this long with `STORAGE_LOCK_TIMEOUT` (default 10 s). */
  timeoutMs?: number;
  io?: FileIO;
}

/** The lock options every file adapter accepts (see {@link FileLock.forStore}). */
export interface StoreLockOptions {
  lockPath?: string;
  lockTimeoutMs?: number;
}

/** The in-process queue of each lock file (by real path), shared by every {@link FileLock} of it. */
const queues = new Map<string, SerialQueue>();

/**
 * A lock shared by every process that opens the same store, plus a queue inside this process.
 * The lock file holds its owner's token (pid, thread, host); a lock whose owner process is gone is
 * taken over at once (no stale timeout), by the protocol of {@link takeOverStale}: takeovers are
 * serialised by a second file (`<lock>.break`), and no lock file is ever removed by name, only moved
 * aside and unlinked once it proves to hold the token meant, so a live owner's lock is never removed
 * on purpose. Writers also re-check ownership right before each commit ({@link Fence}). The lock file
 * is named by the real path of its directory (created on first use), so a symlinked or relative
 * spelling is the same lock. Network filesystems are not supported.
 */
export class FileLock {
  /** Finds the lock file (absolute); its directory is resolved on the first run. */
  readonly #locate: () => Promise<string>;
  /** The lock, as messages name it before it is found. */
  readonly #name: string;
  /** The lock file under the real path of its directory; set before the first acquire. */
  #path = '';
  readonly #io: FileIO;
  readonly #timeoutMs: number;
  #queue: Promise<SerialQueue> | null = null;
  #swept = false;

  private constructor(locate: () => Promise<string>, name: string, options: FileLockOptions) {
    this.#locate = locate;
    this.#name = name;
    this.#io = options.io ?? nodeFileIO;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /**
   * A lock on `path` with its own options. Every lock of one real path in this process shares one
   * queue; each sweeps the leftovers of dead processes when it first runs.
   */
  static for(path: string, options: FileLockOptions = {}): FileLock {
    const absolute = resolve(path);
    return new FileLock(() => Promise.resolve(absolute), `the lock ${absolute}`, options);
  }

  /**
   * The lock of a file adapter on the store file `store`: `options.lockPath`, by default `.lock` in
   * the directory of the store's real path (the lock `fileStorage` uses), so a file is locked alike
   * however it is opened: through a symlink to it or to its directory, or by a relative path.
   */
  static forStore(store: StorePath, options: StoreLockOptions): FileLock {
    const lockOptions = { timeoutMs: options.lockTimeoutMs };
    if (options.lockPath !== undefined) return FileLock.for(options.lockPath, lockOptions);
    return new FileLock(
      async () => join(dirname(await store.real()), '.lock'),
      `the lock of ${store.given}`,
      lockOptions,
    );
  }

  /** Runs `critical` while holding the lock, after every earlier caller in this process. */
  run<T>(critical: (fence: Fence) => Promise<T>): Promise<T> {
    this.#queue ??= this.#resolveQueue().catch((error) => {
      this.#queue = null; // retried by the next run
      throw error;
    });
    return this.#queue.then((queue) => queue.run(() => this.#holding(critical)));
  }

  /** Finds the lock, creates its directory, resolves that through `realpath`, and finds the lock's queue. */
  async #resolveQueue(): Promise<SerialQueue> {
    try {
      const given = await this.#locate();
      await this.#io.mkdir(dirname(given));
      this.#path = join(await realpath(dirname(given)), basename(given));
    } catch (error) {
      if (error instanceof StorageError) throw error;
      throw new StorageError('STORAGE_IO', `could not take ${this.#name}`, { cause: error });
    }
    let queue = queues.get(this.#path);
    if (!queue) {
      queue = new SerialQueue();
      queues.set(this.#path, queue);
    }
    return queue;
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
    const token = newToken();
    const deadline = Date.now() + this.#timeoutMs;
    const temp = scratchFile(this.#path);
    // Registered before it is linked into place: no copy of licensekit here may see it unregistered.
    heldTokens.add(token);
    let acquired = false;
    try {
      await writeToken(this.#io, temp, token);
      for (let attempt = 0; ; attempt++) {
        try {
          await this.#io.link(temp, this.#path);
          acquired = true;
          return token;
        } catch (error) {
          if (errnoCode(error) !== 'EEXIST') throw error;
        }
        const held = await readToken(this.#io, this.#path);
        if (held !== null && isStale(held) && (await takeOverStale(this.#io, this.#path, held))) {
          this.#swept = false; // a dead owner may have left token files too
          continue;
        }
        if (Date.now() > deadline) {
          const holder = held === null ? '' : ` (held by ${describeOwner(held)})`;
          throw new StorageError(
            'STORAGE_LOCK_TIMEOUT',
            `timed out waiting for the lock ${this.#path}${holder}`,
          );
        }
        await sleep(Math.min(25, 1 + attempt) * (0.5 + cryptoFraction()));
      }
    } catch (error) {
      if (error instanceof StorageError) throw error;
      throw new StorageError('STORAGE_IO', `could not take the lock ${this.#path}`, { cause: error });
    } finally {
      if (!acquired) heldTokens.delete(token);
      await unlinkQuietly(this.#io, temp);
    }
  }

  /** Fails unless the lock file still holds `token`. */
  async #fence(token: string): Promise<void> {
    if ((await readToken(this.#io, this.#path)) !== token) {
      throw new StorageError(
        'STORAGE_IO',
        `lost the lock ${this.#path} to another process; nothing was written`,
      );
    }
  }

  /** Removes the lock file if it still holds `token` (moved aside first, like any removal). */
  async #release(token: string): Promise<void> {
    try {
      await removeIfHolds(this.#io, this.#path, this.#path, token);
    } catch {
      // A lock file we fail to remove names this process: this thread takes it for a leftover (no
      // longer held), other processes recover it once this one exits.
    } finally {
      heldTokens.delete(token);
    }
  }

  /**
   * Removes token files (`<lock>.<pid>.<id>.tmp`) of processes that are gone, and the takeover files
   * (`<lock>.<pid>.<id>.stale`) that earlier versions of licensekit left.
   */
  async #sweepOrphans(): Promise<void> {
    this.#swept = true;
    const prefix = `${basename(this.#path)}.`;
    const dir = dirname(this.#path);
    for (const name of await this.#io.readdir(dir).catch(() => [])) {
      if (name.startsWith(prefix) && isOrphanScratch(name.slice(prefix.length))) {
        await unlinkQuietly(this.#io, join(dir, name));
      }
    }
  }
}

function cryptoFraction(): number {
  return randomBytes(1)[0]! / 256;
}
