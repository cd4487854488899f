import {
  type AuditRecord,
  type LicenseAction,
  type PurchaseRecord,
  parseAuditRecord,
} from '../domain/audit-record.js';
import { type Clock, systemClock } from '../domain/clock.js';
import { LicenseKitError } from '../domain/errors.js';
import type { PurchaseEvent } from '../domain/purchase.js';
import { newRecordId } from '../domain/record-id.js';
import type { AuditFilter, Storage } from '../ports/storage.js';
import { LostDisputes, saleOf } from './_lost-disputes.js';
import { parseTimeBound } from './_time-bound.js';
import { type CsvExportOptions, csvStream, resolveCsvColumns } from './csv-export.js';
import { computePurchaseStats, type PurchaseStats, type PurchaseStatsFilter } from './purchase-stats.js';

/** Options of {@link PurchaseAuditLog}. */
export interface PurchaseAuditLogOptions {
  /** The storage whose `purchases` log is read and appended to. */
  storage: Storage;
  /** Where `recordedAt` and record ids take their time (default: the system clock). */
  clock?: Clock;
}

/**
 * A filter of {@link PurchaseAuditLog.query} and `exportCsv`: the storage's `AuditFilter` (its
 * `since`/`until` bound `recordedAt`) plus `includeTest`.
 */
export interface AuditQuery extends AuditFilter, TestPurchaseOption {}

/** Whether a read includes test purchases (`event.purchase.isTest`). */
export interface TestPurchaseOption {
  /** Include test purchases; they are left out by default. */
  includeTest?: boolean;
}

/** Optional details of a license audit record. */
export interface LicenseActionDetails {
  /** Why, e.g. `refunded`, `chargeback`, `manual`. */
  reason?: string | null;
  /** Who: an operator, `cli`, `webhook:<store>`. */
  actor?: string | null;
  /** The record id (default: a new ulid); pass `createdRecordId(license)` for `created` records. */
  id?: string;
}

/**
 * Reads and writes the append-only purchase and license history of a storage. Every read streams
 * from the log: memory stays flat however long it grows. Test purchases (`purchase.isTest`) are left
 * out of every query, statistic and export unless `includeTest` is set; license records are never
 * test records.
 */
export class PurchaseAuditLog {
  readonly #storage: Storage;
  readonly #clock: Clock;

  constructor(options: PurchaseAuditLogOptions) {
    const purchases = options.storage?.purchases;
    if (typeof purchases?.scan !== 'function' || typeof purchases.append !== 'function') {
      throw new LicenseKitError('STORAGE_MISSING_METHODS', 'storage.purchases needs scan() and append()');
    }
    this.#storage = options.storage;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Every record matching `filter`, in append order (test purchases only with `includeTest`).
   * `since`/`until` are compared as instants, inclusive: `2025-12-01T00:00:00Z` includes a record
   * stamped `2025-12-01T00:00:00.000Z`. Throws `INVALID_INPUT` at once for a bound that is not an
   * ISO-8601 UTC timestamp ending in `Z`.
   */
  query(filter: AuditQuery = {}): AsyncIterable<AuditRecord> {
    const { includeTest = false, ...storageFilter } = filter;
    return this.#scan(withCanonicalBounds(storageFilter), includeTest);
  }

  /** The purchase records of one store (`purchase.source`), in append order. */
  getPurchasesBySource(source: string, options: TestPurchaseOption = {}): AsyncIterable<PurchaseRecord> {
    return this.#purchases({ source: text(source, 'source') }, options);
  }

  /** The purchase records of one buyer; `email` is trimmed and lower-cased first. */
  getPurchasesByEmail(email: string, options: TestPurchaseOption = {}): AsyncIterable<PurchaseRecord> {
    return this.#purchases({ email: text(email, 'email').trim().toLowerCase() }, options);
  }

  /** The purchase records naming a license; `key` is trimmed and matched case-insensitively. */
  getPurchasesByLicenseKey(key: string, options: TestPurchaseOption = {}): AsyncIterable<PurchaseRecord> {
    return this.#purchases({ licenseKey: text(key, 'key').trim() }, options);
  }

  /**
   * The `sale` records of sales refunded in full: their sale (same `source` and `saleId`) has a
   * `refund`, or a `dispute_lost` that no later `dispute_won` reversed, anywhere in the log (events
   * can arrive out of order). A subscription's sale also counts when such a refund or lost dispute
   * names its subscription: a subscription's refunds and disputes name the payment, not the sale. A
   * `partial_refund` or a dispute that was won does not count. Reads the log twice; memory grows with
   * the refunded sales only.
   */
  async *getRefundedPurchases(options: TestPurchaseOption = {}): AsyncGenerator<PurchaseRecord> {
    const refunded = new Set<string>();
    const lost = new LostDisputes();
    const disputed = new Map<string, PurchaseEvent>();
    const add = (event: PurchaseEvent) => {
      refunded.add(saleOf(event));
      const { source, subscriptionId } = event.purchase;
      if (subscriptionId !== null) refunded.add(subscriptionOf(source, subscriptionId));
    };
    for await (const { event } of this.#purchases({}, options)) {
      lost.settle(event);
      if (event.type === 'dispute_lost') disputed.set(saleOf(event), event);
      if (event.type === 'refund') add(event);
    }
    for (const event of disputed.values()) if (lost.stands(event)) add(event);
    if (refunded.size === 0) return;
    for await (const record of this.#purchases({ type: 'sale' }, options)) {
      const { source, subscriptionId } = record.event.purchase;
      const bySubscription = subscriptionId !== null && refunded.has(subscriptionOf(source, subscriptionId));
      if (refunded.has(saleOf(record.event)) || bySubscription) yield record;
    }
  }

  /**
   * Totals of payments, refunds and disputes per currency, store and product, in one streaming pass
   * (see {@link PurchaseStats}). `since`/`until` bound the event's `occurredAt` (when the money
   * moved), not `recordedAt`.
   */
  getPurchaseStats(filter: PurchaseStatsFilter = {}): Promise<PurchaseStats> {
    const scan: AuditFilter = { kind: 'purchase' };
    if (filter.source !== undefined) scan.source = filter.source;
    // Not narrowed by product: a lost dispute booked under another product (before its sale was
    // known) decides what its reversal gives back.
    return computePurchaseStats(this.#storage.purchases.scan(scan), filter);
  }

  /**
   * The records matching `filter` as an RFC 4180 CSV stream (header row, CRLF line ends, cells that
   * could run as spreadsheet formulas prefixed with `'`). Pull-based: the log is read only as the
   * consumer reads. Throws `INVALID_INPUT` at once for an unknown or empty column selection.
   */
  exportCsv(filter: AuditQuery = {}, options: CsvExportOptions = {}): ReadableStream<string> {
    const columns = resolveCsvColumns(options.columns);
    return csvStream(this.query(filter), columns);
  }

  /**
   * Appends the purchase record of `event`, naming `licenseKey` (null when no license exists yet).
   * Resolves `false` when the log already holds this event (same `source` and `eventId`).
   */
  recordPurchase(event: PurchaseEvent, licenseKey: string | null): Promise<boolean> {
    return this.#append((id, recordedAt) => ({ kind: 'purchase', id, recordedAt, event, licenseKey }));
  }

  /** Appends a license record: `action` done to `licenseKey`, with an optional reason and actor. */
  recordLicenseAction(
    action: LicenseAction,
    licenseKey: string,
    details: LicenseActionDetails = {},
  ): Promise<boolean> {
    return this.#append((id, recordedAt) => ({
      kind: 'license',
      id: details.id ?? id,
      recordedAt,
      action,
      licenseKey,
      reason: details.reason ?? null,
      actor: details.actor ?? null,
    }));
  }

  async #append(build: (id: string, recordedAt: string) => AuditRecord): Promise<boolean> {
    const now = this.#clock();
    const record = parseAuditRecord(build(newRecordId(now.getTime()), now.toISOString()));
    return this.#storage.purchases.append(record);
  }

  async *#scan(filter: AuditFilter, includeTest: boolean): AsyncGenerator<AuditRecord> {
    for await (const record of this.#storage.purchases.scan(filter)) {
      if (includeTest || record.kind !== 'purchase' || !record.event.purchase.isTest) yield record;
    }
  }

  async *#purchases(filter: AuditFilter, options: TestPurchaseOption): AsyncGenerator<PurchaseRecord> {
    for await (const record of this.#scan({ ...filter, kind: 'purchase' }, options.includeTest ?? false)) {
      if (record.kind === 'purchase') yield record;
    }
  }
}

/**
 * `filter` with its time bounds in the form `recordedAt` is stored in (`toISOString()`, with
 * milliseconds), so that storage adapters, which compare the strings, compare instants.
 */
function withCanonicalBounds(filter: AuditFilter): AuditFilter {
  const since = parseTimeBound(filter.since, 'since');
  const until = parseTimeBound(filter.until, 'until');
  if (since === undefined && until === undefined) return filter;
  const bounded = { ...filter };
  if (since !== undefined) bounded.since = new Date(since).toISOString();
  if (until !== undefined) bounded.until = new Date(until).toISOString();
  return bounded;
}

/** `value`, which must be a string (`INVALID_INPUT` otherwise). */
function text(value: string, name: string): string {
  if (typeof value !== 'string') throw new LicenseKitError('INVALID_INPUT', `${name} must be a string`);
  return value;
}

/** The key of a subscription's refunds in {@link PurchaseAuditLog.getRefundedPurchases}. */
function subscriptionOf(source: string, subscriptionId: string): string {
  return `${source}\u0000subscription\u0000${subscriptionId}`;
}
