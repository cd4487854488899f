import { describe, expect, it } from 'vitest';
import {
  createWebhookHandler,
  gumroad,
  LicenseManager,
  memoryStorage,
  safeNormalizeGumroadPing,
  safeNormalizeLemonSqueezyEvent,
} from '../../src/index.js';
import { fakeClock } from '../../src/testing.js';

// API.md: every timestamp is ISO-8601 UTC. A store's timestamp shaped like one but naming no real
// moment (month 13, February 30, 24:00) is refused by the normalizers, never stored.

const impossible = '2025-13-45T99:99:99Z';

const gumroadSale = (saleTimestamp: string) => ({
  seller_id: 'seller-1',
  product_id: 'prod-1',
  product_name: 'Pixel Forge',
  email: 'buyer@example.com',
  price: '2900',
  currency: 'usd',
  quantity: '1',
  sale_id: 'sale-1',
  sale_timestamp: saleTimestamp,
  resource_name: 'sale',
});

describe('store timestamps that are not real instants', () => {
  it('Gumroad: a sale_timestamp of month 13, day 45, 99:99:99 is a NormalizationError', () => {
    const result = safeNormalizeGumroadPing(gumroadSale(impossible));
    expect(result.success).toBe(false);
  });

  it('Lemon Squeezy: an impossible created_at is a NormalizationError', () => {
    const result = safeNormalizeLemonSqueezyEvent({
      meta: { event_name: 'order_created' },
      data: {
        type: 'orders',
        id: '1',
        attributes: {
          customer_id: 1,
          user_name: 'Ana',
          user_email: 'ana@example.com',
          created_at: impossible,
          updated_at: impossible,
          currency: 'USD',
          total: 999,
          status: 'paid',
          first_order_item: { product_id: 7, product_name: 'App', quantity: 1 },
        },
      },
    });
    expect(result.success).toBe(false);
  });

  it('the handler answers 400 and records nothing', async () => {
    const storage = memoryStorage();
    const manager = new LicenseManager({ storage, clock: fakeClock('2025-06-01T00:00:00Z') });
    const handle = createWebhookHandler({
      provider: gumroad({ token: 'tok-123' }),
      manager,
      onError: () => undefined,
    });
    const response = await handle(
      new Request('https://shop.example/webhooks/gumroad?token=tok-123', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(gumroadSale(impossible)).toString(),
      }),
    );
    let records = 0;
    for await (const _ of storage.purchases.scan()) records++;
    const stats = await manager.audit.getPurchaseStats();
    expect({ status: response.status, records }).toEqual({ status: 400, records: 0 });
    expect(stats.totalPurchases).toBe(0);
  });

  it('only real calendar moments pass: days of the month, leap years, hours up to 23:59:59', () => {
    const timestampOf = (value: string) => {
      const result = safeNormalizeGumroadPing(gumroadSale(value));
      return result.success ? result.data?.occurredAt : 'refused';
    };
    expect(timestampOf('2024-02-29T12:00:00Z')).toBe('2024-02-29T12:00:00Z');
    expect(timestampOf('2024-04-30T23:59:59.999Z')).toBe('2024-04-30T23:59:59.999Z');
    expect(timestampOf('2024-01-05T11:38:56-08:00')).toBe('2024-01-05T19:38:56.000Z');
    for (const value of [
      '2025-02-29T12:00:00Z',
      '2025-02-30T00:00:00Z',
      '2025-04-31T10:00:00+01:00',
      '2025-01-01T24:00:00Z',
      '2025-01-01T23:60:00Z',
      '2025-01-01T23:59:60Z',
      '2025-00-10T00:00:00Z',
    ]) {
      expect(timestampOf(value)).toBe('refused');
    }
  });
});
