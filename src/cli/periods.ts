import { computePurchaseStats } from '../audit/purchase-stats.js';
import type { AuditRecord, CurrencyRevenue, PurchaseStatsFilter } from '../index.js';

/** How `stats --by` groups time: UTC days, weeks starting on Monday, or calendar months. */
export type PeriodUnit = 'day' | 'week' | 'month';

/** The period units, for `--by`. */
export const periodUnits: readonly PeriodUnit[] = ['day', 'week', 'month'];

/** Revenue of one period, per currency. */
export interface PeriodRevenue {
  /** `2025-12-03` (day), `2025-12-01` (the Monday of a week) or `2025-12` (month). */
  period: string;
  /** First and last millisecond of the period, ISO UTC. */
  start: string;
  end: string;
  revenue: Record<string, CurrencyRevenue>;
}

const dayMs = 86_400_000;

/** The start (UTC ms) of the period containing `time`. */
export function periodStart(time: number, unit: PeriodUnit): number {
  const date = new Date(time);
  if (unit === 'month') return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  return unit === 'day' ? day : day - ((date.getUTCDay() + 6) % 7) * dayMs;
}

/** The start of the period after the one starting at `start`. */
export function nextPeriod(start: number, unit: PeriodUnit): number {
  if (unit === 'day') return start + dayMs;
  if (unit === 'week') return start + 7 * dayMs;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/** The label of the period starting at `start`. */
export function periodLabel(start: number, unit: PeriodUnit): string {
  const iso = new Date(start).toISOString();
  return unit === 'month' ? iso.slice(0, 7) : iso.slice(0, 10);
}

/**
 * Revenue per period and currency of `records`, every period from the first to the last with money
 * in it (empty ones included, so gaps show). Each amount is counted by the library's own stats, in
 * one pass over the records with the same filter (a reversed chargeback gives back in the period of
 * its reversal), so the periods add up to what `getPurchaseStats` gives for the whole window.
 * Memory grows with the number of periods only.
 */
export async function revenueByPeriod(
  records: AsyncIterable<AuditRecord>,
  unit: PeriodUnit,
  filter: PurchaseStatsFilter,
): Promise<PeriodRevenue[]> {
  const totals = new Map<number, Map<string, { gross: number; refunded: number }>>();
  await computePurchaseStats(records, { ...filter, topProducts: 0 }, (event, gross, refunded) => {
    const start = periodStart(Date.parse(event.occurredAt), unit);
    const period = totals.get(start) ?? new Map<string, { gross: number; refunded: number }>();
    totals.set(start, period);
    const { currency } = event.purchase;
    const sum = period.get(currency) ?? { gross: 0, refunded: 0 };
    period.set(currency, { gross: sum.gross + gross, refunded: sum.refunded + refunded });
  });
  if (totals.size === 0) return [];
  const starts = [...totals.keys()];
  const last = Math.max(...starts);
  const periods: PeriodRevenue[] = [];
  for (let start = Math.min(...starts); start <= last; start = nextPeriod(start, unit)) {
    const money = [...(totals.get(start) ?? [])].sort(([a], [b]) => (a < b ? -1 : 1));
    periods.push({
      period: periodLabel(start, unit),
      start: new Date(start).toISOString(),
      end: new Date(nextPeriod(start, unit) - 1).toISOString(),
      revenue: Object.fromEntries(
        money.map(([currency, { gross, refunded }]) => [
          currency,
          { gross, refunded, net: gross - refunded },
        ]),
      ),
    });
  }
  return periods;
}
