import type { AuditRecord } from '../domain/audit-record.js';
import { LicenseKitError } from '../domain/errors.js';
import { type PurchaseEvent, paymentTypes } from '../domain/purchase.js';
import { LostDisputes } from './_lost-disputes.js';
import { parseTimeBound } from './_time-bound.js';

/** Filters of `PurchaseAuditLog.getPurchaseStats`; every given field must match. */
export interface PurchaseStatsFilter {
  /**
   * Count events that OCCURRED at or after this ISO-8601 UTC timestamp ending in `Z` (the event's
   * `occurredAt`, when the money moved, not `recordedAt`), compared as instants. A refund inside the
   * window counts even when its sale is before it, so a window's net can be negative.
   */
  since?: string;
  /** Count events that occurred at or before this ISO timestamp (inclusive, see `since`). */
  until?: string;
  /** Only this store. */
  source?: string;
  /** Only this product. */
  productId?: string;
  /** Count test purchases too (default `false`). */
  includeTest?: boolean;
  /** How many products `topProducts` lists (default 10; 0 lists none). */
  topProducts?: number;
}

/** Money of one currency, in integer minor units. */
export interface CurrencyRevenue {
  /** Sum of the payments (`sale` and `renewal` events). */
  gross: number;
  /**
   * Sum of `refund`, `partial_refund` and `dispute_lost` amounts, less what a `dispute_won` of a
   * sale whose dispute was lost gave back (a reversed chargeback).
   */
  refunded: number;
  /** `gross − refunded`. */
  net: number;
}

/** Payments and net revenue of one store. */
export interface SourceStats {
  /** Payments (`sale` and `renewal` events). */
  count: number;
  /** Net revenue per currency, in integer minor units. */
  revenue: Record<string, number>;
}

/** Payments and net revenue of one product. */
export interface ProductStats {
  productId: string;
  /** The name on the product's most recent event that names it (by `occurredAt`), or `''`. */
  productName: string;
  /** Payments (`sale` and `renewal` events). */
  count: number;
  /** Net revenue per currency, in integer minor units. */
  revenue: Record<string, number>;
}

/**
 * Totals of the purchase log. Money is integer minor units per upper-case currency code; amounts of
 * different currencies are never added together.
 */
export interface PurchaseStats {
  /** Payments: `sale` and `renewal` events. A later refund does not remove a payment. */
  totalPurchases: number;
  /** `refund` and `partial_refund` events. */
  totalRefunds: number;
  /** `dispute` events (opened disputes; their outcome is `dispute_won` or `dispute_lost`). */
  totalDisputes: number;
  revenue: Record<string, CurrencyRevenue>;
  bySource: Record<string, SourceStats>;
  /**
   * The products with the most payments, then the highest net revenue (compared currency by
   * currency in code order: the first currency where two products differ decides), then by
   * `productId`.
   */
  topProducts: ProductStats[];
  /** The earliest `occurredAt` of a counted payment, or `null` when there is none. */
  firstAt: string | null;
  /** The latest `occurredAt` of a counted payment, or `null` when there is none. */
  lastAt: string | null;
}

interface ProductTotals {
  name: string;
  nameAt: number;
  count: number;
  net: Map<string, number>;
}

const refunds = new Set(['refund', 'partial_refund', 'dispute_lost']);

function entry<T>(map: Map<string, T>, key: string, create: () => T): T {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

function add(map: Map<string, number>, currency: string, amount: number): void {
  map.set(currency, (map.get(currency) ?? 0) + amount);
}

function byKey<T>([a]: [string, T], [b]: [string, T]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byCode(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...map].sort(byKey));
}

/** Count desc, then net revenue desc currency by currency in code order, then productId. */
function compareProducts([idA, a]: [string, ProductTotals], [idB, b]: [string, ProductTotals]): number {
  if (a.count !== b.count) return b.count - a.count;
  for (const currency of [...new Set([...a.net.keys(), ...b.net.keys()])].sort()) {
    const difference = (b.net.get(currency) ?? 0) - (a.net.get(currency) ?? 0);
    if (difference !== 0) return difference;
  }
  return byKey([idA, a], [idB, b]);
}

/**
 * Told of each event that moves money in the stats, as they count it: `gross` paid or `refunded` (a
 * reversed chargeback's give-back is a negative `refunded`), in the event's currency.
 */
export type MoneyListener = (event: PurchaseEvent, gross: number, refunded: number) => void;

/**
 * Computes {@link PurchaseStats} over `records` in one streaming pass, keeping only per-currency,
 * per-source and per-product totals. `records` may come pre-narrowed by the storage; every field of
 * `filter` is applied here anyway. Throws `INVALID_INPUT` for a malformed `since`/`until` (they must
 * be ISO-8601 UTC timestamps ending in `Z`) or a `topProducts` that is not a non-negative integer.
 * `onMoney` is told of every amount counted, for totals of another grouping (by period, say).
 */
export async function computePurchaseStats(
  records: AsyncIterable<AuditRecord>,
  filter: PurchaseStatsFilter = {},
  onMoney?: MoneyListener,
): Promise<PurchaseStats> {
  const since = parseTimeBound(filter.since, 'since') ?? Number.NEGATIVE_INFINITY;
  const until = parseTimeBound(filter.until, 'until') ?? Number.POSITIVE_INFINITY;
  const top = filter.topProducts ?? 10;
  if (!Number.isInteger(top) || top < 0) {
    throw new LicenseKitError('INVALID_INPUT', 'topProducts must be a non-negative integer');
  }
  const matches = (event: PurchaseEvent, at: number, productId: string): boolean =>
    at >= since &&
    at <= until &&
    (filter.includeTest === true || !event.purchase.isTest) &&
    (filter.source === undefined || event.purchase.source === filter.source) &&
    (filter.productId === undefined || productId === filter.productId);

  let totalPurchases = 0;
  let totalRefunds = 0;
  let totalDisputes = 0;
  let first: { at: number; text: string } | null = null;
  let last: { at: number; text: string } | null = null;
  const revenue = new Map<string, { gross: number; refunded: number }>();
  const sources = new Map<string, { count: number; net: Map<string, number> }>();
  const products = new Map<string, ProductTotals>();
  const lost = new LostDisputes();

  for await (const record of records) {
    if (record.kind !== 'purchase') continue;
    const { event } = record;
    const at = Date.parse(event.occurredAt);
    // A reversed chargeback gives back what a lost dispute took, whenever that was lost, to the
    // product the loss was booked under.
    const returned = filter.includeTest === true || !event.purchase.isTest ? lost.settle(event) : 0;
    const bookedUnder = returned > 0 ? lost.lostUnder(event) : event.purchase.productId;
    if (!matches(event, at, bookedUnder)) continue;
    const { type, occurredAt } = event;
    if (type === 'partial_refund' || type === 'refund') totalRefunds++;
    if (type === 'dispute') totalDisputes++;
    const paid = paymentTypes.has(type);
    if (!paid && !refunds.has(type) && returned === 0) continue;

    const { source, productId, productName, currency } = event.purchase;
    const amount = returned > 0 ? -returned : event.purchase.amount;
    const signed = paid ? amount : -amount;
    const bySource = entry(sources, source, () => ({ count: 0, net: new Map<string, number>() }));
    const product = entry(products, bookedUnder, () => ({
      name: '',
      nameAt: Number.NEGATIVE_INFINITY,
      count: 0,
      net: new Map(),
    }));
    if (productName !== '' && bookedUnder === productId && at >= product.nameAt) {
      product.name = productName;
      product.nameAt = at;
    }
    const money = entry(revenue, currency, () => ({ gross: 0, refunded: 0 }));
    add(bySource.net, currency, signed);
    add(product.net, currency, signed);
    onMoney?.(event, paid ? amount : 0, paid ? 0 : amount);
    if (paid) {
      totalPurchases++;
      bySource.count++;
      product.count++;
      money.gross += amount;
      if (first === null || at < first.at) first = { at, text: occurredAt };
      if (last === null || at > last.at) last = { at, text: occurredAt };
    } else {
      money.refunded += amount;
    }
  }

  return {
    totalPurchases,
    totalRefunds,
    totalDisputes,
    revenue: Object.fromEntries(
      [...revenue]
        .sort(byKey)
        .map(([currency, { gross, refunded }]) => [currency, { gross, refunded, net: gross - refunded }]),
    ),
    bySource: Object.fromEntries(
      [...sources].sort(byKey).map(([source, { count, net }]) => [source, { count, revenue: byCode(net) }]),
    ),
    topProducts: [...products]
      .sort(compareProducts)
      .slice(0, top)
      .map(([productId, { name, count, net }]) => ({
        productId,
        productName: name,
        count,
        revenue: byCode(net),
      })),
    firstAt: first?.text ?? null,
    lastAt: last?.text ?? null,
  };
}
