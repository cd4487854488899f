import { formatMinorUnits, type PurchaseStats, type PurchaseStatsFilter } from '../../index.js';
import { type Command, dataOptions, expectPositionals, parseCommand } from '../command.js';
import { dataDirOf, withData } from '../data.js';
import { barChart } from '../format/bar-chart.js';
import { money, moneyList } from '../format/money.js';
import { table } from '../format/table.js';
import { parseChoice, parseWholeNumber, parseWindow } from '../options.js';
import { print, printJson, terminalWidth } from '../output.js';
import { type PeriodRevenue, periodUnits, revenueByPeriod } from '../periods.js';

const options = {
  ...dataOptions,
  since: { type: 'string' },
  until: { type: 'string' },
  by: { type: 'string' },
  source: { type: 'string' },
  product: { type: 'string' },
  top: { type: 'string' },
  'include-test': { type: 'boolean' },
} as const;

/** `licensekit stats`: the books, per currency, store and product; a chart per period with `--by`. */
export const statsCommand: Command = {
  name: 'stats',
  summary: 'totals, revenue per currency, per store and top products; --by for a chart',
  help: `Usage: licensekit stats [--since D] [--until D] [--by day|week|month] [options]

Totals of the purchase log: payments (sales and renewals), refunds and disputes; revenue per
currency as gross, refunded and net (currencies are never added together); payments and net
revenue per store; the top products. --since/--until bound when the money moved.

Options:
  --since D, --until D   2025-12-03, 2025-12, 2025, an ISO timestamp, or 30d (days ago); UTC
  --by day|week|month    also chart net revenue per period, one chart per currency
  --source S             only this store (gumroad, stripe, ...)
  --product P            only this product id
  --top N                how many top products (default 10)
  --include-test         count test purchases too
  --data DIR             data directory (default ./data, or LICENSEKIT_DATA)
  --json                 the figures as JSON, money in integer minor units

Example:
  licensekit stats --since 2025-10 --by month`,
  async run(args) {
    const { values, positionals } = parseCommand('stats', args, options);
    expectPositionals('stats', positionals, 0);
    const by = values.by === undefined ? undefined : parseChoice('by', values.by, periodUnits);
    const filter: PurchaseStatsFilter = {
      ...parseWindow(values),
      source: values.source,
      productId: values.product,
      includeTest: values['include-test'] === true,
      topProducts: values.top === undefined ? 10 : parseWholeNumber('top', values.top, 0),
    };
    return withData(dataDirOf(values), async ({ manager }) => {
      const stats = await manager.audit.getPurchaseStats(filter);
      // Not narrowed by product, as getPurchaseStats reads them: the stats apply that filter.
      const records = manager.audit.query({
        kind: 'purchase',
        source: filter.source,
        includeTest: filter.includeTest,
      });
      const periods = by === undefined ? undefined : await revenueByPeriod(records, by, filter);
      if (values.json === true) await printJson(periods === undefined ? stats : { ...stats, by, periods });
      else await print(...statsLines(stats), ...(by && periods ? chartLines(by, periods) : []));
      return 0;
    });
  },
};

function statsLines(stats: PurchaseStats): string[] {
  const lines = [
    `Payments ${stats.totalPurchases}   refunds ${stats.totalRefunds}   disputes ${stats.totalDisputes}` +
      (stats.firstAt === null
        ? ''
        : `   from ${stats.firstAt.slice(0, 10)} to ${stats.lastAt?.slice(0, 10)}`),
  ];
  const currencies = Object.entries(stats.revenue);
  if (currencies.length === 0) return [...lines, '', 'No payments or refunds in this window.'];
  lines.push(
    '',
    ...table(
      [
        { header: 'Currency' },
        { header: 'Gross', align: 'right' },
        { header: 'Refunded', align: 'right' },
        { header: 'Net', align: 'right' },
      ],
      currencies.map(([currency, { gross, refunded, net }]) => [
        currency,
        ...[gross, refunded, net].map((amount) => formatMinorUnits(amount, currency)),
      ]),
    ),
    '',
    ...table(
      [{ header: 'Store' }, { header: 'Payments', align: 'right' }, { header: 'Net' }],
      Object.entries(stats.bySource).map(([source, { count, revenue }]) => [
        source,
        String(count),
        moneyList(revenue),
      ]),
    ),
  );
  if (stats.topProducts.length > 0) {
    lines.push(
      '',
      ...table(
        [{ header: 'Top products' }, { header: 'Payments', align: 'right' }, { header: 'Net' }],
        stats.topProducts.map((product) => [
          product.productName === product.productId
            ? product.productId
            : `${product.productId} (${product.productName})`,
          String(product.count),
          moneyList(product.revenue),
        ]),
      ),
    );
  }
  return lines;
}

/** One bar chart of net revenue per period for each currency, as wide as the terminal. */
function chartLines(by: string, periods: readonly PeriodRevenue[]): string[] {
  const currencies = [...new Set(periods.flatMap((period) => Object.keys(period.revenue)))].sort();
  const unit = by === 'week' ? 'week (weeks start on Monday)' : by;
  return currencies.flatMap((currency) => [
    '',
    `Net revenue per ${unit}, ${currency} (UTC)`,
    ...barChart(
      periods.map((period) => {
        const net = period.revenue[currency]?.net ?? 0;
        return { label: period.period, value: net, text: money(net, currency) };
      }),
      terminalWidth(),
    ),
  ]);
}
