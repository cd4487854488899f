/**
 * What a lost dispute took is kept per sale and currency: a dispute_won in another currency than the
 * dispute_lost gives back nothing, so no currency's refunded goes negative (README: "currencies are
 * never mixed").
 */
import { describe, expect, it } from 'vitest';
import { LicenseManager, memoryStorage, type PurchaseEvent } from '../../src/index.js';
import { purchaseEventFixture } from '../../src/testing.js';

describe('a won dispute in another currency than the lost one', () => {
  it('gives back nothing of a loss in another currency', async () => {
    const manager = new LicenseManager({ storage: memoryStorage() });
    const sale = purchaseEventFixture({ purchase: { amount: 1000, currency: 'USD' } });
    const event = (type: PurchaseEvent['type'], eventId: string, currency: string): PurchaseEvent => ({
      ...sale,
      type,
      eventId,
      occurredAt: '2025-03-02T00:00:00.000Z',
      purchase: { ...sale.purchase, currency },
    });
    await manager.handlePurchaseEvent(sale);
    await manager.handlePurchaseEvent(event('dispute_lost', 'lost-1', 'USD'));
    await manager.handlePurchaseEvent(event('dispute_won', 'won-1', 'EUR'));
    const stats = await manager.audit.getPurchaseStats();
    for (const [currency, money] of Object.entries(stats.revenue)) {
      expect(money.refunded, `${currency} refunded`).toBeGreaterThanOrEqual(0);
    }
    expect(stats.revenue.USD).toEqual({ gross: 1000, refunded: 1000, net: 0 });
  });
});
