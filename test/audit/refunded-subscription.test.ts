import { describe, expect, it } from 'vitest';
import { LicenseManager, memoryStorage, normalizeStripeEvent, type PurchaseEvent } from '../../src/index.js';
import { fakeClock, stripeCheckoutCompletedEvent, stripeEvent } from '../../src/testing.js';

/**
 * Stripe subscription mode: the sale's saleId is the subscription, while a refund or a dispute names
 * the payment intent, plus the subscription when `resolveSubscription` gives it. The manager revokes
 * the license through the subscription, and getRefundedPurchases lists the subscription's sale (so
 * does `licensekit purchases --refunded`).
 */
async function subscriptionSale() {
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
  expect((await manager.handlePurchaseEvent(sale)).action).toBe('created');
  return manager;
}

/** A Stripe event about payment `pi_1`, as `stripe({ resolveSubscription })` passes it on. */
function ofSubscription(type: string, object: Record<string, unknown>, eventId: string): PurchaseEvent {
  const event = stripeEvent(type, object, { eventId, created: new Date('2025-03-02T00:00:00Z') });
  return normalizeStripeEvent(event, { subscriptionId: 'sub_1' })!;
}

async function refundedSaleIds(manager: LicenseManager): Promise<string[]> {
  const listed: string[] = [];
  for await (const record of manager.audit.getRefundedPurchases()) listed.push(record.event.purchase.saleId);
  return listed;
}

describe('getRefundedPurchases and a Stripe subscription', () => {
  it('lists the sale whose payment was refunded in full', async () => {
    const manager = await subscriptionSale();
    const refund = ofSubscription(
      'charge.refunded',
      {
        id: 'ch_1',
        amount: 1000,
        amount_refunded: 1000,
        currency: 'usd',
        customer: null,
        payment_intent: 'pi_1',
      },
      'evt_refund',
    );
    expect(refund.type).toBe('refund');
    const result = await manager.handlePurchaseEvent(refund);
    expect(result.action).toBe('revoked');
    expect(result.license?.statusReason).toBe('refunded');
    expect(await refundedSaleIds(manager)).toEqual(['sub_1']);
  });

  it('lists the sale whose payment was lost in a dispute', async () => {
    const manager = await subscriptionSale();
    const lost = ofSubscription(
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
      'evt_lost',
    );
    expect(lost.type).toBe('dispute_lost');
    expect((await manager.handlePurchaseEvent(lost)).action).toBe('revoked');
    const stats = await manager.audit.getPurchaseStats();
    expect(stats.revenue.USD).toEqual({ gross: 1000, refunded: 1000, net: 0 });
    expect(await refundedSaleIds(manager)).toEqual(['sub_1']);
  });
});
