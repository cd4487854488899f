import { StorageError } from '../../domain/errors.js';
import { type License, parseLicense } from '../../domain/license.js';
import { isTelemetryOnlyChange } from '../../ports/license-changes.js';
import type { InsertResult, LicenseMutation, LicenseStore } from '../../ports/storage.js';
import { GroupCommit, type Outcome } from '../_group-commit.js';
import { applyMutation, type LicenseTable } from '../_license-table.js';
import { SerialQueue } from '../_serial-queue.js';
import { type Fence, FileLock } from './file-lock.js';
import { LicenseCache, type LicenseSink } from './license-cache.js';
import { Staged, type WriteOp } from './staged-batch.js';
import type { StorePath } from './store-path.js';
import { telemetryFlushDelay } from './telemetry.js';

/** Options every file-backed license store accepts. */
export interface FileLicenseStoreOptions {
  /**
   * The lock file shared by every process using the store (default `.lock` in the directory of the
   * file's real path, as `fileStorage` uses).
   */
  lockPath?: string;
  /** Give up waiting for the lock after this long (default 10 s). */
  lockTimeoutMs?: number;
  /**
   * Validation telemetry (`lastValidatedAt`, `validationCount`, `devices[].lastSeenAt`) is written
   * behind, this long after it changed (default 1000 ms), and always on `close()`. After a flush
   * that took long (a big `licenses.json` is rewritten whole), the next one waits 9 times as long
   * as that one took, up to 60 s: telemetry writes then take at most about a tenth of the time.
   */
  telemetryFlushMs?: number;
  /**
   * Reads are served from memory and re-check the file for other processes' writes at most this
   * often (default 100 ms). A key that is not found is always re-checked at once, and every write
   * reads the latest state under the lock first.
   */
  refreshMs?: number;
}

/** How a file store format loads and saves licenses; every call but the first runs under the lock. */
export interface LicenseFile {
  /** The store file: every file operation and the default lock use its real path. */
  readonly store: StorePath;
  /** Removes leftovers of crashed writers (under the lock, once, when the store opens). */
  recover(): Promise<void>;
  /**
   * Brings `licenses` up to date with the file: puts each license the file changed since the last
   * call, or clears them and puts every license the file holds.
   */
  refresh(licenses: LicenseSink): Promise<void>;
  /**
   * Durably writes `staged` (new or changed licenses) on top of `table`, fencing before commit. A
   * write of the whole table runs through `writeTable` (see {@link TableWrite}).
   */
  persist(
    table: LicenseTable,
    staged: ReadonlyMap<string, License>,
    fence: Fence,
    writeTable: TableWrite,
  ): Promise<void>;
}

/**
 * Runs `write`, a write of the whole table with the staged licenses on top, which must read the
 * table before its first `await`. The table carries this process's unwritten telemetry, so once
 * the file holds the write the store counts that telemetry as written: when `write` succeeds, or
 * when it calls `committed` (right after its rename, before making it durable, which may still
 * fail). Else a failed write whose file landed would be read back as another process's, and the
 * telemetry it holds added to it again.
 */
export type TableWrite = (write: (committed: () => void) => Promise<void>) => Promise<void>;

/**
 * A license store on a file: every license in memory for fast reads, every change written under the
 * cross-process lock on the latest file content (group-committed), telemetry written behind.
 */
export function fileLicenseStore(file: LicenseFile, options: FileLicenseStoreOptions = {}): LicenseStore {
  return new FileLicenseStore(file, options);
}

class FileLicenseStore implements LicenseStore {
  readonly #file: LicenseFile;
  readonly #lock: FileLock;
  readonly #refreshMs: number;
  readonly #flushMs: number;
  /** How long telemetry waits to be written: `#flushMs`, or longer after a slow flush. */
  #flushDelayMs: number;
  readonly #cache = new LicenseCache();
  readonly #commits = new GroupCommit<WriteOp, InsertResult | License | null | undefined>((ops) =>
    this.#commit(ops),
  );
  #opened: Promise<void> | null = null;
  #refreshing: Promise<void> | null = null;
  /** Refreshes and writes of the file, one at a time: a refresh never takes this process's own write for news. */
  readonly #fileQueue = new SerialQueue();
  /** True from a refresh or a write of this store until `refreshMs` later: reads may skip the file. */
  #fresh = false;
  /** True while a commit of this store holds the cross-process lock and has read the latest state. */
  #holdingLock = false;
  #staleTimer: ReturnType<typeof setTimeout> | null = null;
  #flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** True while a telemetry flush is being written: the next is scheduled when it ends. */
  #flushing = false;
  /** True from the first `close()` on: every call rejects, and the table is never fresh again. */
  #closing = false;
  /**
   * True after a write of this store landed in the file but failed to be made durable (its
   * directory fsync failed). The next commit syncs the directory first; until then every change,
   * telemetry included, is committed, and `close()` commits one.
   */
  #unsynced = false;
  /** The close in progress or done; null again after one that failed, so `close()` can be retried. */
  #closed: Promise<void> | null = null;

  constructor(file: LicenseFile, options: FileLicenseStoreOptions) {
    this.#file = file;
    this.#lock = FileLock.forStore(file.store, options);
    this.#refreshMs = options.refreshMs ?? 100;
    this.#flushMs = options.telemetryFlushMs ?? 1000;
    this.#flushDelayMs = this.#flushMs;
  }

  get(key: string): Promise<License | null> {
    // The validation hot path: a hit in a current table is answered without an async frame.
    try {
      const hit = this.#current ? this.#cache.view.get(key) : null;
      return hit ? Promise.resolve(hit) : this.#getSlow(key);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #getSlow(key: string): Promise<License | null> {
    await this.#ready();
    return this.#cache.view.get(key) ?? (await this.#recheck(() => this.#cache.view.get(key)));
  }

  async getByPurchase(source: string, purchaseId: string): Promise<License | null> {
    await this.#ready();
    const find = () => this.#cache.view.getByPurchase(source, purchaseId);
    return find() ?? (await this.#recheck(find));
  }

  async insert(license: License): Promise<InsertResult> {
    this.#checkOpen(); // a closed store says so, whatever it is given
    const valid = parseLicense(license);
    await this.#ready();
    return (await this.#commits.submit({ kind: 'insert', license: valid })) as InsertResult;
  }

  update(key: string, mutate: LicenseMutation): Promise<License | null> {
    // As in get: in a current table, a validation (a telemetry-only change) is recorded without an
    // async frame.
    try {
      const current = this.#current ? this.#cache.view.get(key) : null;
      return current === null
        ? this.#updateSlow(key, mutate)
        : Promise.resolve(this.#change(key, current, mutate));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #updateSlow(key: string, mutate: LicenseMutation): Promise<License | null> {
    await this.#ready();
    const current = this.#cache.view.get(key) ?? (await this.#recheck(() => this.#cache.view.get(key)));
    return current === null ? null : this.#change(key, current, mutate);
  }

  /**
   * Applies `mutate` to `current`, the view's license: a telemetry-only change is recorded, any
   * other committed.
   */
  #change(key: string, current: License, mutate: LicenseMutation): License | Promise<License | null> {
    const next = applyMutation(current, mutate);
    if (next === current) return current;
    if (!this.#unsynced && isTelemetryOnlyChange(current, next)) return this.#recordTelemetry(next);
    return this.#commits.submit({ kind: 'update', key, mutate }) as Promise<License | null>;
  }

  /**
   * Streams the table without copying it: each license once, as it is when reached. A reload of the
   * file during the iteration swaps in a new table; the iteration finishes on the one it started on.
   */
  async *list(filter?: Parameters<LicenseStore['list']>[0]): AsyncGenerator<License> {
    await this.#ready();
    // Taken between file reads: a reload in progress (another process compacted the file) fills a
    // new table, which is whole only once the read that fills it ends.
    const table = await this.#fileQueue.run(async () => this.#cache.view);
    yield* table.filter(filter);
  }

  /** Rejects every call from now on, waits for the writes in flight and writes the pending telemetry. */
  close(): Promise<void> {
    // The fast paths need a current table, which it never is again; the slow ones check #closing.
    this.#closing = true;
    this.#fresh = false;
    this.#closed ??= this.#writeLastTelemetry().catch((error: unknown) => {
      this.#closed = null;
      throw error;
    });
    return this.#closed;
  }

  /** Waits for the writes in flight, then writes the telemetry still pending. */
  async #writeLastTelemetry(): Promise<void> {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    if (this.#staleTimer) clearTimeout(this.#staleTimer);
    this.#flushTimer = null;
    await this.#commits.idle(); // a write in flight that fails leaves its telemetry pending
    while (this.#cache.mayHaveUnwritten || this.#unsynced) await this.#commits.submit({ kind: 'flush' });
  }

  /**
   * Whether reads may answer from the table without looking at the file: the store is open and the
   * table fresh, or this process holds the lock (nobody else can write) for a write of its own.
   */
  get #current(): boolean {
    return this.#fresh || (this.#holdingLock && !this.#closing);
  }

  /** Throws `STORAGE_CLOSED` once `close()` was called. */
  #checkOpen(): void {
    if (this.#closing) {
      throw new StorageError('STORAGE_CLOSED', `the license store ${this.#file.store.given} is closed`);
    }
  }

  /** Opens the store, or brings the table up to date; rejects once the store is closing. */
  async #ready(): Promise<void> {
    this.#checkOpen();
    this.#opened ??= this.#lock.run(async () => {
      await this.#file.recover();
      await this.#refresh();
    });
    try {
      await this.#opened;
    } catch (error) {
      this.#opened = null; // a bad file is reported on every use until it is fixed
      throw error;
    }
    if (!this.#fresh) await this.#sharedRefresh();
    this.#checkOpen(); // closed while waiting: what follows would write after close() or be lost
  }

  /** A miss may be a license another process just wrote: look at the file once more. */
  async #recheck(find: () => License | null): Promise<License | null> {
    await this.#sharedRefresh();
    this.#checkOpen();
    return find();
  }

  #sharedRefresh(): Promise<void> {
    // While this process holds the lock, no other process can write: the table is current, and a
    // refresh would only wait behind our own write of the file.
    if (this.#holdingLock) return Promise.resolve();
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  /** Refreshes serialize, so one started under the lock sees everything committed before it. */
  #refresh(): Promise<void> {
    return this.#fileQueue.run(async () => {
      await this.#file.refresh(this.#cache);
      this.#cache.refreshed();
      this.#markFresh();
    });
  }

  #markFresh(): void {
    if (this.#closing) return; // a read in flight when close() was called must not reopen the fast paths
    this.#fresh = true;
    if (this.#staleTimer) clearTimeout(this.#staleTimer);
    this.#staleTimer = setTimeout(() => {
      this.#fresh = false;
    }, this.#refreshMs);
    this.#staleTimer.unref?.();
  }

  /** Records a validation's telemetry-only change, for the next flush to write. */
  #recordTelemetry(next: License): License {
    if (this.#flushTimer === null && !this.#flushing) this.#scheduleFlush();
    return this.#cache.record(next);
  }

  #scheduleFlush(): void {
    if (this.#closing) return; // close() writes what is pending
    this.#flushTimer = setTimeout(() => this.#flushTelemetry(), this.#flushDelayMs);
    this.#flushTimer.unref?.();
  }

  #flushTelemetry(): void {
    this.#flushTimer = null;
    if (this.#closing || !this.#cache.mayHaveUnwritten) return;
    this.#flushing = true;
    const started = performance.now();
    this.#commits
      .submit({ kind: 'flush' })
      .then(
        () => {
          this.#flushDelayMs = telemetryFlushDelay(this.#flushMs, performance.now() - started);
        },
        () => undefined, // the telemetry stays pending (it is also in memory) and is tried again
      )
      .finally(() => {
        this.#flushing = false;
        // What validations recorded meanwhile waits from now: flushes never run back to back.
        if (this.#cache.mayHaveUnwritten && this.#flushTimer === null) this.#scheduleFlush();
      });
  }

  /**
   * Runs `write` of the whole table (see {@link TableWrite}); once committed, the file holds the
   * view as it was, and `land` brings the table up to the batch.
   */
  async #writeTable(write: (committed: () => void) => Promise<void>, land: () => void): Promise<void> {
    const written = this.#cache.unwrittenNow();
    let committed = false;
    const commit = () => {
      if (committed) return;
      committed = true;
      this.#cache.wroteAll(written);
      land();
    };
    await write(commit);
    commit();
  }

  #commit(ops: WriteOp[]): Promise<Outcome<InsertResult | License | null | undefined>[]> {
    return this.#lock.run(async (fence) => {
      try {
        return await this.#commitHoldingLock(ops, fence);
      } finally {
        this.#holdingLock = false;
      }
    });
  }

  async #commitHoldingLock(
    ops: WriteOp[],
    fence: Fence,
  ): Promise<Outcome<InsertResult | License | null | undefined>[]> {
    await this.#refresh();
    this.#holdingLock = true; // from here on, the table is the latest state until the lock is released
    if (this.#unsynced) {
      await this.#fileQueue.run(() => this.#file.store.syncDirectory());
      this.#unsynced = false;
    }
    const staged = new Staged(this.#cache);
    const outcomes = ops.map((op) => attempt(() => staged.apply(op)));
    // Once the file holds the batch (even if making it durable then fails), the table takes it:
    // licenses a flush wrote stay in the view as they are; new and changed ones replace the view's,
    // carrying over the telemetry recorded during the write.
    let landed = false;
    const land = () => {
      if (landed) return;
      landed = true;
      for (const [key, license] of staged.changes) {
        const base = staged.changed.get(key);
        if (base === undefined) this.#cache.wroteAsSeen(key, license);
        else this.#cache.wrote(key, license, base);
      }
    };
    try {
      if (staged.changes.size > 0) {
        const writeTable: TableWrite = (write) => this.#writeTable(write, land);
        const view = this.#cache.view;
        await this.#fileQueue.run(() => this.#file.persist(view, staged.changes, fence, writeTable));
      }
    } catch (error) {
      if (landed) this.#unsynced = true;
      else if (staged.flushes) this.#cache.takeFailed();
      throw error;
    }
    land();
    this.#markFresh();
    return outcomes;
  }
}

function attempt<R>(run: () => R): Outcome<R> {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, error };
  }
}
