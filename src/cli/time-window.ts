import type { AuditRecord, Storage } from '../index.js';

/** A `--since`/`--until` window as ISO timestamps; either end may be open. */
export interface TimeWindow {
  since?: string;
  until?: string;
}

/**
 * When a record happened: a purchase event's `occurredAt` (when the money moved, which for imported
 * or late-delivered events is long before it was recorded), a license record's `recordedAt`.
 */
export function happenedAt(record: AuditRecord): string {
  return record.kind === 'purchase' ? record.event.occurredAt : record.recordedAt;
}

/** True when `record` happened inside `window` (both ends inclusive, compared as instants). */
export function inWindow(record: AuditRecord, window: TimeWindow): boolean {
  const at = Date.parse(happenedAt(record));
  return (
    (window.since === undefined || at >= Date.parse(window.since)) &&
    (window.until === undefined || at <= Date.parse(window.until))
  );
}

/**
 * A view of `storage` whose purchase log scans only records that happened inside `window`, so
 * `export-csv` bounds its rows as `purchases` (by {@link inWindow}) and `stats` do. Reads and
 * writes still go to `storage` itself; only `scan` is narrowed.
 */
export function withinWindow(storage: Storage, window: TimeWindow): Storage {
  if (window.since === undefined && window.until === undefined) return storage;
  const { purchases } = storage;
  return {
    licenses: storage.licenses,
    purchases: {
      append: (record) => purchases.append(record),
      has: (record) => purchases.has(record),
      close: () => purchases.close(),
      async *scan(filter) {
        for await (const record of purchases.scan(filter)) if (inWindow(record, window)) yield record;
      },
    },
  };
}
