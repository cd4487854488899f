import type { AuditRecord } from '../domain/audit-record.js';
import { formatMinorUnits } from '../domain/currency.js';
import { LicenseKitError } from '../domain/errors.js';
import type { PurchaseEvent } from '../domain/purchase.js';
import { csvRow } from './_csv.js';

/**
 * The columns `exportCsv` writes by default, in this order. `event` is the purchase event type or
 * the license action; `amount` is the decimal amount in the major unit (`23.99`), `amountMinor` the
 * integer minor units (`2399`). A column that does not apply to a record (a license record has no
 * `email`, a purchase record no `actor`) and a null value are empty cells.
 */
export const csvColumns = [
  'recordedAt',
  'kind',
  'event',
  'source',
  'eventId',
  'saleId',
  'occurredAt',
  'email',
  'customerName',
  'customerId',
  'productId',
  'productName',
  'tier',
  'quantity',
  'currency',
  'amount',
  'amountMinor',
  'isTest',
  'isRecurring',
  'subscriptionId',
  'licenseKey',
  'reason',
  'actor',
  'id',
] as const;

/** One column of the CSV export. */
export type CsvColumn = (typeof csvColumns)[number];

/** Options of `PurchaseAuditLog.exportCsv`. */
export interface CsvExportOptions {
  /** The columns to write, in this order (default {@link csvColumns}). */
  columns?: readonly CsvColumn[];
}

type Cell = string | number | boolean | null;

const ofEvent =
  (get: (event: PurchaseEvent) => Cell) =>
  (record: AuditRecord): Cell =>
    record.kind === 'purchase' ? get(record.event) : null;

const ofLicense =
  (get: (record: Extract<AuditRecord, { kind: 'license' }>) => Cell) =>
  (record: AuditRecord): Cell =>
    record.kind === 'license' ? get(record) : null;

const cellOf: Readonly<Record<CsvColumn, (record: AuditRecord) => Cell>> = {
  recordedAt: (record) => record.recordedAt,
  kind: (record) => record.kind,
  event: (record) => (record.kind === 'purchase' ? record.event.type : record.action),
  source: ofEvent((event) => event.purchase.source),
  eventId: ofEvent((event) => event.eventId),
  saleId: ofEvent((event) => event.purchase.saleId),
  occurredAt: ofEvent((event) => event.occurredAt),
  email: ofEvent((event) => event.purchase.email),
  customerName: ofEvent((event) => event.purchase.customerName),
  customerId: ofEvent((event) => event.purchase.customerId),
  productId: ofEvent((event) => event.purchase.productId),
  productName: ofEvent((event) => event.purchase.productName),
  tier: ofEvent((event) => event.purchase.tier),
  quantity: ofEvent((event) => event.purchase.quantity),
  currency: ofEvent((event) => event.purchase.currency),
  amount: ofEvent((event) => formatMinorUnits(event.purchase.amount, event.purchase.currency)),
  amountMinor: ofEvent((event) => event.purchase.amount),
  isTest: ofEvent((event) => event.purchase.isTest),
  isRecurring: ofEvent((event) => event.purchase.isRecurring),
  subscriptionId: ofEvent((event) => event.purchase.subscriptionId),
  licenseKey: (record) => record.licenseKey,
  reason: ofLicense((record) => record.reason),
  actor: ofLicense((record) => record.actor),
  id: (record) => record.id,
};

/** Rows per stream chunk, and the chunk size in characters that ends a chunk early. */
const rowsPerChunk = 64;
const charsPerChunk = 64 * 1024;

/**
 * Checks a column selection: every name must be one of {@link csvColumns} and there must be at least
 * one; `INVALID_INPUT` otherwise.
 */
export function resolveCsvColumns(columns: readonly string[] = csvColumns): readonly CsvColumn[] {
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new LicenseKitError('INVALID_INPUT', 'columns must be a list of at least one CSV column');
  }
  const unknown = columns.filter((column) => !Object.hasOwn(cellOf, column));
  if (unknown.length > 0) {
    throw new LicenseKitError('INVALID_INPUT', `unknown CSV column(s): ${unknown.join(', ')}`, {
      issues: unknown.map((column) => ({ path: 'columns', message: `unknown column "${column}"` })),
    });
  }
  return columns as readonly CsvColumn[];
}

/**
 * `records` as an RFC 4180 CSV stream: the header row first, then one row per record, every line
 * ending in CRLF, cells neutralised against formula injection. Pull-based with no read-ahead: a
 * chunk of up to 64 rows is read from `records` only when the consumer asks for it, and cancelling
 * the stream ends the iteration (closing the underlying file).
 */
export function csvStream(
  records: AsyncIterable<AuditRecord>,
  columns: readonly CsvColumn[],
): ReadableStream<string> {
  const cells = columns.map((column) => cellOf[column]);
  let iterator: AsyncIterator<AuditRecord> | undefined;
  return new ReadableStream<string>(
    {
      start(controller) {
        controller.enqueue(csvRow(columns));
      },
      async pull(controller) {
        iterator ??= records[Symbol.asyncIterator]();
        let chunk = '';
        for (let rows = 0; rows < rowsPerChunk && chunk.length < charsPerChunk; rows++) {
          const next = await iterator.next();
          if (next.done === true) {
            if (chunk !== '') controller.enqueue(chunk);
            controller.close();
            return;
          }
          const record = next.value;
          chunk += csvRow(cells.map((cell) => String(cell(record) ?? '')));
        }
        controller.enqueue(chunk);
      },
      async cancel() {
        await iterator?.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
