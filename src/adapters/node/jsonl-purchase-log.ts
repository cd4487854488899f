import { type AuditRecord, auditDedupeKey, parseAuditRecord } from '../../domain/audit-record.js';
import { LicenseKitError, StorageError } from '../../domain/errors.js';
import { matchesAuditFilter } from '../../ports/filters.js';
import type { AuditFilter, PurchaseLog } from '../../ports/storage.js';
import { GroupCommit, type Outcome } from '../_group-commit.js';
import { SerialQueue } from '../_serial-queue.js';
import { type FileIO, nodeFileIO } from './file-io.js';
import { FileLock } from './file-lock.js';
import { JsonlFile, type JsonlLine, maxRecordBytes } from './jsonl-file.js';
import { StorePath } from './store-path.js';

/** Options of {@link jsonlPurchaseLog}. */
export interface JsonlPurchaseLogOptions {
  /** The log file, e.g. `data/purchases.jsonl` (created on the first append, mode 0600). */
  path: string;
  /**
   * The lock file shared by every process using the log (default `.lock` in the directory of the log's
   * real path, as in `fileStorage`: one lock for every store file of a directory, however it is opened,
   * symlinks included).
   */
  lockPath?: string;
  /** Give up waiting for the lock after this long (default 10 s). */
  lockTimeoutMs?: number;
  /** @internal File operations, replaced by fault-injection tests. */
  io?: FileIO;
}

interface AppendOp {
  line: string;
  dedupeKey: string;
}

/**
 * The purchase log as JSON Lines: a header, then one audit record per line in append order.
 * Appends are group-committed under the lock: one `write()` and one fsync per batch, acknowledged
 * only once durable. Records are checked with the schema before they are written; reading a record
 * back checks its shape only, so `scan` stays close to the speed of parsing the file. Records over
 * 1 MiB are refused. Opening reads the whole log once to learn its dedupe keys.
 */
export function jsonlPurchaseLog(options: JsonlPurchaseLogOptions): PurchaseLog {
  return new JsonlPurchaseLog(options);
}

class JsonlPurchaseLog implements PurchaseLog {
  readonly #file: JsonlFile;
  readonly #lock: FileLock;
  readonly #seen = new Set<string>();
  readonly #commits = new GroupCommit<AppendOp, boolean>((ops) => this.#commit(ops));
  #opened: Promise<void> | null = null;
  /** Refreshes and writes of the file, one at a time: a refresh never takes this process's own write for news. */
  readonly #fileQueue = new SerialQueue();
  #closed = false;

  constructor(options: JsonlPurchaseLogOptions) {
    const io = options.io ?? nodeFileIO;
    const store = new StorePath(io, options.path);
    this.#file = new JsonlFile(io, store, 'licensekit-purchases');
    this.#lock = FileLock.forStore(store, options);
  }

  async append(record: AuditRecord): Promise<boolean> {
    this.#checkOpen();
    const valid = parseAuditRecord(record);
    const line = JSON.stringify(valid);
    if (line.length > maxRecordBytes || new TextEncoder().encode(line).length > maxRecordBytes) {
      throw new LicenseKitError('RECORD_TOO_LARGE', `an audit record is limited to ${maxRecordBytes} bytes`);
    }
    await this.#ready();
    const dedupeKey = auditDedupeKey(valid);
    // A key not seen yet is checked under the lock, by the commit.
    if (this.#seen.has(dedupeKey) && (await this.#recorded(dedupeKey))) return false;
    return this.#commits.submit({ line, dedupeKey });
  }

  async has(record: AuditRecord): Promise<boolean> {
    this.#checkOpen();
    await this.#ready();
    return this.#recorded(auditDedupeKey(record));
  }

  async *scan(filter?: AuditFilter): AsyncGenerator<AuditRecord> {
    this.#checkOpen();
    await this.#ready();
    await this.#refresh();
    for await (const lines of this.#file.records()) {
      for (const line of lines) {
        const record = this.#record(line);
        if (matchesAuditFilter(record, filter)) yield record;
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#commits.idle();
    this.#closed = true;
  }

  #checkOpen(): void {
    if (this.#closed)
      throw new StorageError('STORAGE_CLOSED', `the purchase log ${this.#file.path} is closed`);
  }

  async #ready(): Promise<void> {
    this.#opened ??= this.#refresh();
    try {
      await this.#opened;
    } catch (error) {
      this.#opened = null;
      throw error;
    }
  }

  /**
   * Whether a record with this dedupe key is in the file, as of now. Keys learned earlier are
   * checked against the file again: their append may have failed and been rolled back since (the
   * file is then a new generation, and the keys are learned afresh).
   */
  async #recorded(dedupeKey: string): Promise<boolean> {
    await this.#refresh();
    return this.#seen.has(dedupeKey);
  }

  /** Learns the records other processes appended; serialized so one run under the lock is exact. */
  #refresh(): Promise<void> {
    return this.#fileQueue.run(() =>
      this.#file.catchUp(
        (line) => {
          this.#seen.add(auditDedupeKey(this.#record(line)));
        },
        () => this.#seen.clear(),
      ),
    );
  }

  #commit(ops: AppendOp[]): Promise<Outcome<boolean>[]> {
    return this.#lock.run(async (fence) => {
      await this.#refresh();
      const batch = new Set<string>();
      const outcomes = ops.map(({ dedupeKey }): Outcome<boolean> => {
        const duplicate = this.#seen.has(dedupeKey) || batch.has(dedupeKey);
        batch.add(dedupeKey);
        return { ok: true, value: !duplicate };
      });
      const lines = ops.filter((_, i) => (outcomes[i] as { value: boolean }).value).map((op) => op.line);
      await this.#fileQueue.run(() => this.#file.append(lines, fence));
      for (const key of batch) this.#seen.add(key);
      return outcomes;
    });
  }

  /** A shape check of a stored record: enough to filter and dedupe it safely without a schema parse. */
  #record({ value, line }: JsonlLine): AuditRecord {
    const record = value as Partial<AuditRecord> | null;
    const valid =
      record !== null &&
      typeof record === 'object' &&
      typeof record.id === 'string' &&
      typeof record.recordedAt === 'string' &&
      (record.kind === 'license'
        ? typeof record.action === 'string'
        : record.kind === 'purchase' &&
          typeof record.event?.eventId === 'string' &&
          typeof record.event.purchase?.source === 'string');
    if (!valid) {
      throw new StorageError('STORAGE_CORRUPT', `${this.#file.path} line ${line} is not an audit record`);
    }
    return record as AuditRecord;
  }
}
