/**
 * getRefundedPurchases lists a subscription's sale when a full refund or a lost dispute names its
 * subscription: a Stripe subscription's refunds and disputes name the payment, not the sale
 * (stripe({ resolveSubscription }) resolves both).
 */
import { describe, expect, it } from 'vitest';
import { LicenseManager, memoryStorage, normalizeStripeEvent } from '../../src/index.js';
import { fakeClock, stripeCheckoutCompletedEvent, stripeEvent } from '../../src/testing.js';

describe('getRefundedPurchases and a Stripe subscription lost in a dispute', () => {
  it('lists the subscription sale whose payment was charged back, as it does for a full refund', async () => {
    const manager = new LicenseManager({
      storage: memoryStorage(),
      clock: fakeClock('2025-03-10T00:00:00Z'),
      plans: () => ({ durationDays: 30, maxDevices: 1 }),
    });
    const sale = normalizeStripeEvent(
      stripeCheckoutCompletedEvent({
        email: 'ada@example.com',
        productId: 'app',
        amount: 1000,
        subscription: 'sub_1',
        eventId: 'evt_sale',
        created: new Date('2025-03-01T00:00:00Z'),
      }),
    )!;
    expect(sale.purchase.saleId).toBe('sub_1');
    await manager.handlePurchaseEvent(sale);

    const lost = normalizeStripeEvent(
      stripeEvent(
        'charge.dispute.closed',
        {
          id: 'dp_1',
          object: 'dispute',
          amount: 1000,
          currency: 'usd',
          charge: 'ch_1',
          payment_intent: 'pi_1',
          reason: 'fraudulent',
          status: 'lost',
          metadata: {},
        },
        { eventId: 'evt_lost', created: new Date('2025-03-05T00:00:00Z') },
      ),
      { subscriptionId: 'sub_1' }, // what stripe({ resolveSubscription }) passes on
    )!;
    expect(lost.type).toBe('dispute_lost');
    const result = await manager.handlePurchaseEvent(lost);
    expect(result.action).toBe('revoked');

    const stats = await manager.audit.getPurchaseStats();
    expect(stats.revenue.USD).toEqual({ gross: 1000, refunded: 1000, net: 0 });
    const listed: string[] = [];
    for await (const record of manager.audit.getRefundedPurchases())
      listed.push(record.event.purchase.saleId);
    expect(listed).toEqual(['sub_1']);
  });
});
