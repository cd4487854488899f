import { describe, expect, it } from 'vitest';
import { LicenseManager, memoryStorage, normalizeStripeEvent } from '../../src/index.js';
import { fakeClock, stripeCheckoutCompletedEvent, stripeEvent } from '../../src/testing.js';

/**
 * Stripe subscription mode: the sale's saleId is the subscription (README: "the sale id is the
 * payment intent (or the subscription in subscription mode)"), while a refund names only the payment
 * intent, plus the subscription when `resolveSubscription` gives it. The manager finds and revokes
 * the license through the subscription, and getRefundedPurchases lists the subscription's sale
 * (and so does `licensekit purchases --refunded`).
 */
describe('getRefundedPurchases and a Stripe subscription refunded in full', () => {
  it('lists the subscription sale whose (only) payment was refunded in full and whose license was revoked', async () => {
    const manager = new LicenseManager({
      storage: memoryStorage(),
      clock: fakeClock('2025-03-10T00:00:00Z'),
      plans: () => ({ durationDays: 30, maxDevices: 1 }),
    });
    const created = new Date('2025-03-01T00:00:00Z');
    const sale = normalizeStripeEvent(
      stripeCheckoutCompletedEvent({
        email: 'ada@example.com',
        productId: 'app',
        amount: 1000,
        subscription: 'sub_1',
        eventId: 'evt_sale',
        created,
      }),
    )!;
    expect(sale.purchase.saleId).toBe('sub_1');
    expect((await manager.handlePurchaseEvent(sale)).action).toBe('created');

    const refund = normalizeStripeEvent(
      stripeEvent(
        'charge.refunded',
        {
          id: 'ch_1',
          amount: 1000,
          amount_refunded: 1000,
          currency: 'usd',
          customer: null,
          payment_intent: 'pi_1',
        },
        { eventId: 'evt_refund', created: new Date('2025-03-02T00:00:00Z') },
      ),
      { subscriptionId: 'sub_1' }, // what stripe({ resolveSubscription }) passes on
    )!;
    expect(refund.type).toBe('refund');
    const result = await manager.handlePurchaseEvent(refund);
    expect(result.action).toBe('revoked');
    expect(result.license?.statusReason).toBe('refunded');

    const listed: string[] = [];
    for await (const record of manager.audit.getRefundedPurchases())
      listed.push(record.event.purchase.saleId);
    expect(listed).toEqual(['sub_1']);
  });
});
