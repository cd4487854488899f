import type { AuditRecord, LicenseAction } from '../domain/audit-record.js';
import type { License, LicenseStatus } from '../domain/license.js';
import type { PurchaseEventType } from '../domain/purchase.js';

/** Exact-match filters for {@link LicenseStore.list}; every given field must match. */
export interface LicenseFilter {
  email?: string;
  productId?: string;
  status?: LicenseStatus;
  purchaseSource?: string;
  subscriptionId?: string;
}

/** What {@link LicenseStore.insert} did: `created: false` means a license for that sale already existed. */
export interface InsertResult {
  license: License;
  created: boolean;
}

/**
 * Computes the next version of a license inside {@link LicenseStore.update}. It must be pure: it may
 * run more than once (an adapter retries it on fresh data after a conflict). Return the very same
 * object to leave the license unchanged (nothing is written). Return plain data: a store may read a
 * field more than once, and keeps the record it was given when only telemetry changed, so a getter
 * that answers differently from one read to the next defeats its checks.
 */
export type LicenseMutation = (current: License) => License;

/**
 * Where licenses live. Implement it to store licenses anywhere; `runStorageConformance` from
 * `licensekit/testing` checks an implementation (with its {@link PurchaseLog}) against these rules as
 * far as one instance's results show them. It cannot see memory use (that `scan` streams), durability
 * before `close()` or through a crash, or writes from another process: test those in the adapter.
 *
 * Keys are matched case-insensitively while the stored key keeps its text. The built-in stores fold
 * case with `toUpperCase()`; for the ASCII keys licensekit issues, ASCII folding (SQLite's `upper()`)
 * matches the same keys.
 */
export interface LicenseStore {
  /** The license with this key, or `null` when there is none. Never throws for a miss. */
  get(key: string): Promise<License | null>;

  /** The license issued for `(source, purchaseId)`, or `null` when there is none. */
  getByPurchase(source: string, purchaseId: string): Promise<License | null>;

  /**
   * Stores a new license, atomically and idempotently on `(purchaseSource, purchaseId)`: when a
   * license for that sale exists already (even one inserted a moment ago by another caller or
   * process), nothing is written and the existing one is returned with `created: false`.
   * MUST reject a second license with an existing key (case-insensitively) with `INVALID_INPUT`.
   * Durable when the promise resolves.
   */
  insert(license: License): Promise<InsertResult>;

  /**
   * Atomic read-modify-write: reads the current license, applies `mutate`, stores the result and
   * returns it; `null` when the key does not exist (and `mutate` is not called). Concurrent updates
   * of one license are serialized, so N concurrent device bindings against `maxDevices` K leave
   * exactly K devices. The key, `purchaseSource` and `purchaseId` cannot change.
   * Durable when the promise resolves, except a change that touches only validation telemetry
   * (`lastValidatedAt`, `validationCount`, `devices[].lastSeenAt`): adapters may write that behind,
   * within a bounded window they document, and MUST write it on `close()`.
   */
  update(key: string, mutate: LicenseMutation): Promise<License | null>;

  /** Every license matching `filter`, in insertion order. */
  list(filter?: LicenseFilter): AsyncIterable<License>;

  /** Writes anything pending and releases files and handles. Later calls reject with `STORAGE_CLOSED`. */
  close(): Promise<void>;
}

/** Filters for {@link PurchaseLog.scan}; every given field must match. Time bounds are inclusive. */
export interface AuditFilter {
  kind?: AuditRecord['kind'];
  /** Purchase records: the event's `purchase.source`. */
  source?: string;
  /** Purchase records: the event type. */
  type?: PurchaseEventType;
  /** License records: the action. */
  action?: LicenseAction;
  /** The record's `licenseKey`, compared case-insensitively (upper-cased), as license keys are. */
  licenseKey?: string;
  /** Purchase records: the buyer's email (compared lower-cased). */
  email?: string;
  /** Purchase records: the product id. */
  productId?: string;
  /**
   * Records whose `recordedAt` is at or after this ISO timestamp, given in the form `recordedAt`
   * has (`Date.prototype.toISOString()`, with milliseconds), so adapters may compare the strings.
   * `PurchaseAuditLog` passes its bounds in this form.
   */
  since?: string;
  /** Records whose `recordedAt` is at or before this ISO timestamp (in the form of `since`). */
  until?: string;
}

/** The append-only purchase and license history. */
export interface PurchaseLog {
  /**
   * Appends `record` durably. Idempotent on the record's dedupe key (see `auditDedupeKey`): a
   * purchase record's `source + eventId`, a license record's `id`. Returns `false` and writes
   * nothing for a duplicate, including one appended concurrently by another caller or process.
   */
  append(record: AuditRecord): Promise<boolean>;

  /**
   * Whether a record with the same dedupe key as `record` is stored (including one appended by
   * another process a moment ago). Lets a caller skip work for an event it has handled already.
   */
  has(record: AuditRecord): Promise<boolean>;

  /** Every record matching `filter`, in append order. Streams: memory does not grow with the log. */
  scan(filter?: AuditFilter): AsyncIterable<AuditRecord>;

  /** Writes anything pending and releases files and handles. Later calls reject with `STORAGE_CLOSED`. */
  close(): Promise<void>;
}

/** The storage a `LicenseManager` and `PurchaseAuditLog` run on. */
export interface Storage {
  licenses: LicenseStore;
  purchases: PurchaseLog;
}
