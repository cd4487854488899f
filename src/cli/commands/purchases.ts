import {
  type AuditQuery,
  type AuditRecord,
  matchesAuditFilter,
  PurchaseAuditLog,
  type PurchaseRecord,
  purchaseEventTypes,
} from '../../index.js';
import { type Command, dataOptions, expectPositionals, parseCommand } from '../command.js';
import { dataDirOf, withData } from '../data.js';
import { money } from '../format/money.js';
import { plural, shortTime, table } from '../format/table.js';
import { parseWindow } from '../options.js';
import { print, printJsonArray } from '../output.js';
import { purchaseFilterOptions, purchaseQuery } from '../purchase-filters.js';
import { inWindow, type TimeWindow } from '../time-window.js';

const options = {
  ...dataOptions,
  ...purchaseFilterOptions,
  refunded: { type: 'boolean' },
} as const;

/** `licensekit purchases`: the purchase records, filtered, as a table or JSON. */
export const purchasesCommand: Command = {
  name: 'purchases',
  summary: 'list purchase events (sales, refunds, disputes, renewals, ...)',
  help: `Usage: licensekit purchases [--source S] [--email E] [--refunded] [--since D] [options]

Lists the purchase records of the audit log in the order they were recorded. --since/--until
bound when the event happened (its occurredAt), not when it was recorded.

Options:
  --source S             only this store (gumroad, stripe, ...)
  --email E              only this buyer (case-insensitive)
  --product P            only this product id
  --type T               only this event type (${purchaseEventTypes.join(', ')})
  --refunded             only sales that were later refunded in full or lost a dispute
                         (with --since/--until: sales made in the window, refunded at any time)
  --since D, --until D   2025-12-03, 2025-12, 2025, an ISO timestamp, or 30d (days ago); UTC
  --include-test         include test purchases
  --data DIR             data directory (default ./data, or LICENSEKIT_DATA)
  --json                 the records as a JSON array (money in integer minor units)

Example:
  licensekit purchases --source gumroad --since 2025-12 --refunded`,
  async run(args) {
    const { values, positionals } = parseCommand('purchases', args, options);
    expectPositionals('purchases', positionals, 0);
    const filter: AuditQuery = { kind: 'purchase', ...purchaseQuery(values) };
    const window = parseWindow(values);
    return withData(dataDirOf(values), async ({ storage }) => {
      // The whole log is read, then windowed: a sale's refund may fall outside the window.
      const audit = new PurchaseAuditLog({ storage });
      const all =
        values.refunded === true
          ? audit.getRefundedPurchases({ includeTest: filter.includeTest })
          : audit.query(filter);
      const records = purchaseRecords(all, filter, window);
      if (values.json === true) {
        await printJsonArray(records);
        return 0;
      }
      const rows: string[][] = [];
      for await (const record of records) rows.push(row(record));
      if (rows.length === 0) await print('No purchases match.');
      else await print(...table(columns, rows), '', plural(rows.length, 'record'));
      return 0;
    });
  },
};

const columns = [
  { header: 'When (UTC)' },
  { header: 'Event' },
  { header: 'Store' },
  { header: 'Sale' },
  { header: 'Email' },
  { header: 'Product' },
  { header: 'Amount', align: 'right' },
  { header: 'License' },
] as const;

function row({ event, licenseKey }: PurchaseRecord): string[] {
  const { purchase } = event;
  return [
    shortTime(event.occurredAt),
    purchase.isTest ? `${event.type} (test)` : event.type,
    purchase.source,
    purchase.saleId,
    purchase.email,
    purchase.productId,
    money(purchase.amount, purchase.currency),
    licenseKey ?? '—',
  ];
}

/**
 * The purchase records of `records` that match `filter` (the refunded list is not pre-filtered by
 * it; both lists already honour `includeTest`) and happened inside `window`.
 */
async function* purchaseRecords(
  records: AsyncIterable<AuditRecord>,
  filter: AuditQuery,
  window: TimeWindow,
): AsyncGenerator<PurchaseRecord> {
  const { includeTest: _, ...match } = filter;
  for await (const record of records) {
    if (record.kind === 'purchase' && matchesAuditFilter(record, match) && inWindow(record, window)) {
      yield record;
    }
  }
}
