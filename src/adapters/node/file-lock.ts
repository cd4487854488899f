import { randomBytes } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { StorageError } from '../../domain/errors.js';
import { SerialQueue } from '../_serial-queue.js';
import { errnoCode, type FileIO, nodeFileIO, unlinkQuietly } from './file-io.js';
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

interface Owner {
  pid: number;
  thread: number;
  host: string;
  id: string;
  /** When a takeover began (`Date.now()`), in the tokens of `<lock>.break` only. */
  at?: number;
}

/**
 * A `<lock>.break` older than this is abandoned even if its owner lives (its removal failed, e.g. on
 * EIO, and that process may run for months); takeovers take milliseconds. Clearing one early cannot
 * let two live takers both remove a lock: each taker reads `.break` again right before it removes the
 * stale lock and backs off if `.break` is no longer its own, so it would take a taker that stalls for
 * this long between that read and the unlink right after it (one syscall apart) to remove a lock taken
 * meanwhile; and the new owner's fence would still stop its commit unless that commit raced the
 * unlink too. A clock that jumps counts as a stall.
 */
export const abandonedBreakMs = 30_000;

/** Tries at removing `<lock>.break` before giving up (a transient EIO should not leave it behind). */
const breakRemovalAttempts = 3;

const thisHost = hostname();
/** The in-process queue of each lock file (by real path), shared by every {@link FileLock} of it. */
const queues = new Map<string, SerialQueue>();
const heldLocksKey = Symbol.for('licensekit.heldLocks');
/**
 * The tokens of the locks this thread holds, shared through `globalThis` by every copy of licensekit
 * loaded in it: a lock file naming this pid and thread is stale only if no copy holds it.
 */
const heldTokens = sharedHeldTokens();

function sharedHeldTokens(): Set<string> {
  const shared = globalThis as { [heldLocksKey]?: Set<string> };
  shared[heldLocksKey] ??= new Set<string>();
  return shared[heldLocksKey];
}

/**
 * A lock shared by every process that opens the same store, plus a queue inside this process.
 * The lock file holds its owner's pid and host; a lock whose owner process is gone is taken over at
 * once (no stale timeout). Takeovers are serialised by a second file (`<lock>.break`, cleared when
 * its taker is gone or after {@link abandonedBreakMs}) and remove only the dead owner's exact token,
 * so two processes breaking the same stale lock cannot both win and a live owner's lock is never
 * moved; writers also re-check ownership right before each commit ({@link Fence}). The lock file is
 * named by the real path of its directory (created on first use), so a symlinked or relative
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
    const temp = this.#tokenFile();
    // Registered before it is linked into place: no copy of licensekit here may see it unregistered.
    heldTokens.add(token);
    let acquired = false;
    try {
      await this.#writeToken(temp, token);
      for (let attempt = 0; ; attempt++) {
        try {
          await this.#io.link(temp, this.#path);
          acquired = true;
          return token;
        } catch (error) {
          if (errnoCode(error) !== 'EEXIST') throw error;
        }
        const held = await this.#read(this.#path);
        if (held !== null && isStale(held) && (await this.#breakStale(held))) {
          this.#swept = false; // a dead owner may have left token files too
          continue;
        }
        if (Date.now() > deadline) {
          throw new StorageError('STORAGE_LOCK_TIMEOUT', `timed out waiting for the lock ${this.#path}`);
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

  /** A unique name for a token file of this process (`<lock>.<pid>.<id>.tmp`: swept once it is gone). */
  #tokenFile(): string {
    return `${this.#path}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`;
  }

  /**
   * Removes the lock file if it still holds `observed`, the token of an owner that is gone. Takeovers
   * are serialised by `<lock>.break`, which holds the taker's token and when it began: only its holder
   * re-reads the lock and removes it, so a lock that changed meanwhile (released, or taken by a live
   * owner) is never touched. A `.break` whose holder is gone, or that is older than
   * {@link abandonedBreakMs}, is cleared. Returns false when another live taker is breaking the lock,
   * or cleared this one's `.break` (wait, then look again).
   */
  async #breakStale(observed: string): Promise<boolean> {
    const breaker = `${this.#path}.break`;
    const mine = newToken(Date.now());
    // Held (as lock tokens are) so another copy of licensekit in this thread never takes it for a leftover.
    heldTokens.add(mine);
    try {
      const temp = this.#tokenFile();
      try {
        await this.#writeToken(temp, mine);
        await this.#io.link(temp, breaker);
      } finally {
        await unlinkQuietly(this.#io, temp);
      }
    } catch (error) {
      heldTokens.delete(mine);
      if (errnoCode(error) !== 'EEXIST') throw error;
      const other = await this.#read(breaker);
      if (other === null || !isAbandoned(other)) return false;
      await this.#removeBreak(other);
      return true;
    }
    try {
      // `.break` is read again right before the unlink: see abandonedBreakMs.
      if ((await this.#read(this.#path)) !== observed) return true;
      if ((await this.#read(breaker)) !== mine) return false;
      await this.#io.unlink(this.#path).catch((error: unknown) => {
        if (errnoCode(error) !== 'ENOENT') throw error;
      });
      return true;
    } finally {
      try {
        await this.#removeBreak(mine);
      } finally {
        heldTokens.delete(mine);
      }
    }
  }

  /**
   * Removes `<lock>.break` if it holds `token`. It is renamed to a name of this process's own, then
   * read: a read-then-unlink could remove a `.break` that another taker linked in between (after
   * clearing the same abandoned one), so one that turns out not to hold `token` is linked back
   * instead, unless a newer one took its place. A failed rename is tried again: a `.break` left by a
   * live process holds up other processes' takeovers for {@link abandonedBreakMs}.
   */
  async #removeBreak(token: string): Promise<void> {
    const breaker = `${this.#path}.break`;
    const aside = this.#tokenFile();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#io.rename(breaker, aside);
        break;
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') return;
        if (attempt === breakRemovalAttempts) throw error;
        await sleep(10 * attempt);
      }
    }
    try {
      if ((await this.#read(aside)) === token) return;
      // Its taker reads `.break` before it removes the lock; if this fails, that taker backs off.
      await this.#io.link(aside, breaker).catch(() => undefined);
    } finally {
      await unlinkQuietly(this.#io, aside);
    }
  }

  async #fence(token: string): Promise<void> {
    if ((await this.#read(this.#path)) !== token) {
      throw new StorageError(
        'STORAGE_IO',
        `lost the lock ${this.#path} to another process; nothing was written`,
      );
    }
  }

  async #release(token: string): Promise<void> {
    try {
      if ((await this.#read(this.#path)) === token) await this.#io.unlink(this.#path);
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

/** A new token naming this thread, unique; `at` only for `<lock>.break`. */
function newToken(at?: number): string {
  const owner: Owner = {
    pid: process.pid,
    thread: threadId,
    host: thisHost,
    id: randomBytes(8).toString('hex'),
  };
  if (at !== undefined) owner.at = at;
  return JSON.stringify(owner);
}

/** A `<lock>.break` is abandoned when its owner is gone or it is older than {@link abandonedBreakMs}. */
function isAbandoned(content: string): boolean {
  if (isStale(content)) return true;
  const { at } = JSON.parse(content) as Partial<Owner>; // isStale parsed it
  return typeof at === 'number' && Math.abs(Date.now() - at) > abandonedBreakMs;
}

/** A lock is stale when its owner is a process on this host that no longer exists. */
function isStale(content: string): boolean {
  let owner: Partial<Owner>;
  try {
    owner = JSON.parse(content) as Partial<Owner>;
  } catch {
    return true; // never written by a live owner: tokens are linked into place complete
  }
  if (typeof owner !== 'object' || owner === null) return true;
  if (heldTokens.has(content) || owner.host !== thisHost || typeof owner.pid !== 'number') return false;
  // A token of this thread that no copy of licensekit here holds is left over (from a failed release
  // or an earlier process with the same pid).
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
