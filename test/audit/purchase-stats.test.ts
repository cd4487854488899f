import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  isLicenseKitError,
  PurchaseAuditLog,
  type PurchaseEventType,
  type PurchaseStats,
  purchaseEventTypes,
} from '../../src/index.js';
import { licenseRecordFixture, purchaseRecordFixture } from '../../src/testing.js';
import { type AuditStorageKind, auditStorageKinds, storageWith } from '../helpers/audit-storage.js';

interface Spec {
  type: PurchaseEventType;
  source: string;
  productId: string;
  productName: string;
  currency: string;
  amount: number;
  occurredAt: string;
  isTest?: boolean;
}

function record(spec: Spec, index: number): AuditRecord {
  return purchaseRecordFixture({
    // recordedAt is far from occurredAt, so a filter on the wrong field gives other totals.
    recordedAt: new Date(Date.UTC(2024, 5, 1, 0, 0, index)).toISOString(),
    event: {
      type: spec.type,
      occurredAt: spec.occurredAt,
      purchase: {
        source: spec.source,
        productId: spec.productId,
        productName: spec.productName,
        currency: spec.currency,
        amount: spec.amount,
        isTest: spec.isTest ?? false,
      },
    },
  });
}

async function auditOf(
  records: readonly AuditRecord[],
  kind: AuditStorageKind = 'memory',
): Promise<PurchaseAuditLog> {
  return new PurchaseAuditLog({ storage: await storageWith(kind, records) });
}

const app = { productId: 'app', productName: 'App' };
const tool = { productId: 'tool', productName: 'Tool' };
const specs: Spec[] = [
  {
    type: 'sale',
    source: 'gumroad',
    ...app,
    currency: 'USD',
    amount: 2399,
    occurredAt: '2024-02-01T00:00:00.000Z',
  },
  {
    type: 'sale',
    source: 'gumroad',
    ...app,
    currency: 'USD',
    amount: 2399,
    occurredAt: '2024-02-02T00:00:00.000Z',
  },
  {
    type: 'sale',
    source: 'stripe',
    ...app,
    productName: 'App Pro',
    currency: 'EUR',
    amount: 1900,
    occurredAt: '2024-02-03T00:00:00.000Z',
  },
  {
    type: 'renewal',
    source: 'stripe',
    productId: 'sub',
    productName: 'Subscription',
    currency: 'EUR',
    amount: 1900,
    occurredAt: '2024-03-01T00:00:00.000Z',
  },
  // No milliseconds: equal to the `until` bound below although the strings differ.
  {
    type: 'sale',
    source: 'paddle',
    ...tool,
    currency: 'JPY',
    amount: 1500,
    occurredAt: '2024-02-10T00:00:00Z',
  },
  {
    type: 'refund',
    source: 'gumroad',
    ...app,
    currency: 'USD',
    amount: 2399,
    occurredAt: '2024-02-05T00:00:00.000Z',
  },
  {
    type: 'partial_refund',
    source: 'stripe',
    ...app,
    productName: 'App Pro',
    currency: 'EUR',
    amount: 500,
    occurredAt: '2024-02-06T00:00:00.000Z',
  },
  {
    type: 'dispute',
    source: 'paddle',
    ...tool,
    currency: 'JPY',
    amount: 1500,
    occurredAt: '2024-02-11T00:00:00.000Z',
  },
  {
    type: 'dispute_lost',
    source: 'paddle',
    ...tool,
    currency: 'JPY',
    amount: 1500,
    occurredAt: '2024-02-20T00:00:00.000Z',
  },
  {
    type: 'dispute',
    source: 'gumroad',
    ...app,
    currency: 'USD',
    amount: 2399,
    occurredAt: '2024-02-07T00:00:00.000Z',
  },
  {
    type: 'dispute_won',
    source: 'gumroad',
    ...app,
    currency: 'USD',
    amount: 2399,
    occurredAt: '2024-02-08T00:00:00.000Z',
  },
  {
    type: 'sale',
    source: 'gumroad',
    ...app,
    currency: 'USD',
    amount: 99999,
    occurredAt: '2024-02-04T00:00:00.000Z',
    isTest: true,
  },
  {
    type: 'cancellation',
    source: 'stripe',
    productId: 'sub',
    productName: 'Sub',
    currency: 'EUR',
    amount: 1900,
    occurredAt: '2024-03-05T00:00:00.000Z',
  },
  {
    type: 'sale',
    source: 'gumroad',
    ...tool,
    currency: 'JPY',
    amount: 3000,
    occurredAt: '2024-01-15T00:00:00.000Z',
  },
  // Appended last but the oldest name: productName follows occurredAt, not log order.
  {
    type: 'sale',
    source: 'gumroad',
    ...app,
    productName: 'Old App',
    currency: 'USD',
    amount: 1000,
    occurredAt: '2024-01-20T00:00:00.000Z',
  },
];
const log: AuditRecord[] = [...specs.map(record), licenseRecordFixture()];

describe.each(auditStorageKinds)(
  'getPurchaseStats on a hand-built log (USD, EUR, JPY) on %s storage',
  (kind) => {
    it('gives the exact totals of the whole log', async () => {
      const stats = await (await auditOf(log, kind)).getPurchaseStats();
      expect(stats).toStrictEqual({
        totalPurchases: 7,
        totalRefunds: 2,
        totalDisputes: 2,
        revenue: {
          EUR: { gross: 3800, refunded: 500, net: 3300 },
          JPY: { gross: 4500, refunded: 1500, net: 3000 },
          USD: { gross: 5798, refunded: 2399, net: 3399 },
        },
        bySource: {
          gumroad: { count: 4, revenue: { JPY: 3000, USD: 3399 } },
          paddle: { count: 1, revenue: { JPY: 0 } },
          stripe: { count: 2, revenue: { EUR: 3300 } },
        },
        topProducts: [
          { productId: 'app', productName: 'App Pro', count: 4, revenue: { EUR: 1400, USD: 3399 } },
          { productId: 'tool', productName: 'Tool', count: 2, revenue: { JPY: 3000 } },
          { productId: 'sub', productName: 'Subscription', count: 1, revenue: { EUR: 1900 } },
        ],
        firstAt: '2024-01-15T00:00:00.000Z',
        lastAt: '2024-03-01T00:00:00.000Z',
      } satisfies PurchaseStats);
    });

    it('bounds since/until (inclusive) on the event’s occurredAt, compared as instants', async () => {
      const stats = await (await auditOf(log, kind)).getPurchaseStats({
        since: '2024-02-01T00:00:00.000Z',
        until: '2024-02-10T00:00:00.000Z',
      });
      expect(stats).toStrictEqual({
        totalPurchases: 4,
        totalRefunds: 2,
        totalDisputes: 1,
        revenue: {
          EUR: { gross: 1900, refunded: 500, net: 1400 },
          JPY: { gross: 1500, refunded: 0, net: 1500 },
          USD: { gross: 4798, refunded: 2399, net: 2399 },
        },
        bySource: {
          gumroad: { count: 2, revenue: { USD: 2399 } },
          paddle: { count: 1, revenue: { JPY: 1500 } },
          stripe: { count: 1, revenue: { EUR: 1400 } },
        },
        topProducts: [
          { productId: 'app', productName: 'App Pro', count: 3, revenue: { EUR: 1400, USD: 2399 } },
          { productId: 'tool', productName: 'Tool', count: 1, revenue: { JPY: 1500 } },
        ],
        firstAt: '2024-02-01T00:00:00.000Z',
        lastAt: '2024-02-10T00:00:00Z',
      } satisfies PurchaseStats);
    });

    it('filters by source and product', async () => {
      const audit = await auditOf(log, kind);
      expect(await audit.getPurchaseStats({ source: 'paddle' })).toStrictEqual({
        totalPurchases: 1,
        totalRefunds: 0,
        totalDisputes: 1,
        revenue: { JPY: { gross: 1500, refunded: 1500, net: 0 } },
        bySource: { paddle: { count: 1, revenue: { JPY: 0 } } },
        topProducts: [{ productId: 'tool', productName: 'Tool', count: 1, revenue: { JPY: 0 } }],
        firstAt: '2024-02-10T00:00:00Z',
        lastAt: '2024-02-10T00:00:00Z',
      });
      const sub = await audit.getPurchaseStats({ productId: 'sub' });
      expect(sub.totalPurchases).toBe(1);
      expect(sub.revenue).toStrictEqual({ EUR: { gross: 1900, refunded: 0, net: 1900 } });
    });

    it('counts test purchases only with includeTest', async () => {
      const stats = await (await auditOf(log, kind)).getPurchaseStats({ includeTest: true });
      expect(stats.totalPurchases).toBe(8);
      expect(stats.revenue.USD).toStrictEqual({ gross: 105797, refunded: 2399, net: 103398 });
      expect(stats.topProducts[0]).toStrictEqual({
        productId: 'app',
        productName: 'App Pro',
        count: 5,
        revenue: { EUR: 1400, USD: 103398 },
      });
    });

    it('reports an empty log as zeros and nulls', async () => {
      expect(await (await auditOf([licenseRecordFixture()], kind)).getPurchaseStats()).toStrictEqual({
        totalPurchases: 0,
        totalRefunds: 0,
        totalDisputes: 0,
        revenue: {},
        bySource: {},
        topProducts: [],
        firstAt: null,
        lastAt: null,
      });
    });

    it('orders top products by count, then net revenue currency by currency in code order, then id', async () => {
      const at = '2024-01-01T00:00:00.000Z';
      const sale = (productId: string, currency: string, amount: number): Spec => ({
        type: 'sale',
        source: 'gumroad',
        productId,
        productName: productId.toUpperCase(),
        currency,
        amount,
        occurredAt: at,
      });
      const audit = await auditOf(
        [
          sale('x', 'EUR', 100),
          sale('x', 'USD', 9999),
          sale('z', 'EUR', 200),
          sale('z', 'USD', 1),
          sale('y', 'EUR', 200),
          sale('y', 'USD', 1),
          sale('w', 'JPY', 5),
          sale('w', 'JPY', 5),
          sale('w', 'JPY', 5),
          sale('v', 'USD', 50),
        ].map(record),
        kind,
      );
      const ids = async (topProducts?: number) =>
        (await audit.getPurchaseStats({ topProducts })).topProducts.map((product) => product.productId);
      // w: 3 sales; then y and z tie on EUR 200 (> x's EUR 100 although x has more USD) and on USD,
      // so productId decides; v has one sale.
      expect(await ids()).toEqual(['w', 'y', 'z', 'x', 'v']);
      expect(await ids(2)).toEqual(['w', 'y']);
      expect(await ids(0)).toEqual([]);
    });

    it('refuses malformed bounds and limits with INVALID_INPUT', async () => {
      const audit = await auditOf(log, kind);
      for (const filter of [
        { since: 'yesterday' },
        { until: '2024-02-01' },
        { since: '2024-02-01T00:00:00+01:00' },
        { topProducts: -1 },
        { topProducts: 1.5 },
      ]) {
        await expect(audit.getPurchaseStats(filter), JSON.stringify(filter)).rejects.toSatisfy((error) =>
          isLicenseKitError(error, 'INVALID_INPUT'),
        );
      }
    });
  },
);

describe('getPurchaseStats properties', () => {
  const currencies = ['USD', 'EUR', 'JPY', 'KWD', 'GBP'];
  const specArbitrary = fc.record({
    type: fc.constantFrom(...purchaseEventTypes),
    source: fc.constantFrom('gumroad', 'stripe', 'paddle'),
    productId: fc.constantFrom('a', 'b', 'c'),
    productName: fc.constantFrom('A', 'B'),
    currency: fc.constantFrom(...currencies),
    amount: fc.integer({ min: 0, max: 10_000_000 }),
    occurredAt: fc
      .integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) })
      .map((ms) => new Date(ms).toISOString()),
    isTest: fc.boolean(),
  });

  it('net = gross − refunded per currency, gross is the sum of payments, no currency is invented', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(specArbitrary, { maxLength: 40 }), async (list) => {
        const stats = await (await auditOf(list.map(record))).getPurchaseStats();
        const counted = list.filter((spec) => !spec.isTest);
        const paymentsOf = (currency: string) =>
          counted.filter((s) => (s.type === 'sale' || s.type === 'renewal') && s.currency === currency);
        const refundsOf = (currency: string) =>
          counted.filter(
            (s) =>
              (s.type === 'refund' || s.type === 'partial_refund' || s.type === 'dispute_lost') &&
              s.currency === currency,
          );
        const sum = (items: Spec[]) => items.reduce((total, s) => total + s.amount, 0);
        const moneyCurrencies = currencies
          .filter((c) => paymentsOf(c).length + refundsOf(c).length > 0)
          .sort();

        expect(Object.keys(stats.revenue).sort()).toEqual(moneyCurrencies);
        for (const [currency, { gross, refunded, net }] of Object.entries(stats.revenue)) {
          expect(net).toBe(gross - refunded);
          expect(gross).toBe(sum(paymentsOf(currency)));
          expect(refunded).toBe(sum(refundsOf(currency)));
          const bySource = Object.values(stats.bySource).reduce((t, s) => t + (s.revenue[currency] ?? 0), 0);
          expect(bySource).toBe(net);
        }
        const payments = counted.filter((s) => s.type === 'sale' || s.type === 'renewal');
        expect(stats.totalPurchases).toBe(payments.length);
        expect(Object.values(stats.bySource).reduce((t, s) => t + s.count, 0)).toBe(payments.length);
        for (const source of Object.values(stats.bySource)) {
          for (const currency of Object.keys(source.revenue)) expect(moneyCurrencies).toContain(currency);
        }
        const times = payments.map((s) => s.occurredAt).sort();
        expect(stats.firstAt).toBe(times[0] ?? null);
        expect(stats.lastAt).toBe(times.at(-1) ?? null);
      }),
      { numRuns: 200 },
    );
  });
});
