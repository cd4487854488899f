import { describe, expect, it } from 'vitest';
import { normalizeLemonSqueezyEvent, type PurchaseEvent } from '../../src/index.js';
import { lemonSqueezyOrderCreatedEvent, lemonSqueezySubscriptionPaymentEvent } from '../../src/testing.js';
import { setup, storageKinds } from '../helpers/manager-setup.js';

const email = 'ada@example.com';

/** Lemon Squeezy's `order_refunded` for `order` once `refunded` (a running total) is refunded at `at`. */
function orderRefunded(
  order: ReturnType<typeof lemonSqueezyOrderCreatedEvent>,
  refunded: number,
  at: string,
) {
  const { total } = order.data.attributes;
  const attributes = {
    ...order.data.attributes,
    status: refunded >= total ? 'refunded' : 'partial_refund',
    refunded: refunded >= total,
    refunded_amount: refunded,
    refunded_at: at,
    updated_at: at,
  };
  return { meta: { ...order.meta, event_name: 'order_refunded' }, data: { ...order.data, attributes } };
}

const normalize = (payload: unknown): PurchaseEvent => normalizeLemonSqueezyEvent(payload)!;

describe('Lemon Squeezy refunds reported as running totals', () => {
  it('the normalizer names the order or invoice whose running total `amount` is', () => {
    const order = lemonSqueezyOrderCreatedEvent({ email, productId: 7, orderId: 41, total: 3000 });
    expect(normalize(orderRefunded(order, 1000, '2025-03-02T10:00:00.000Z'))).toMatchObject({
      type: 'partial_refund',
      purchase: { saleId: '41', amount: 1000 },
      refundTotal: { payment: 'orders/41', amount: 1000 },
    });
    const invoice = lemonSqueezySubscriptionPaymentEvent({
      email,
      subscriptionId: 9,
      invoiceId: 77,
      total: 1000,
      refundedAmount: 1000,
    });
    expect(normalize(invoice)).toMatchObject({
      type: 'refund',
      purchase: { saleId: '9', amount: 1000 },
      refundTotal: { payment: 'subscription-invoices/77', amount: 1000 },
    });
    expect(normalize(order).refundTotal).toBeUndefined();
  });

  describe.each(storageKinds)('on %s storage', (kind) => {
    it('books each step’s own share, so the books show what was refunded', async () => {
      const { manager } = setup(kind);
      const order = lemonSqueezyOrderCreatedEvent({ email, productId: 7, orderId: 41, total: 3000 });
      await manager.handlePurchaseEvent(normalize(order));
      const first = normalize(orderRefunded(order, 1000, '2025-03-02T10:00:00.000Z'));
      const second = normalize(orderRefunded(order, 2500, '2025-03-03T10:00:00.000Z'));
      expect((await manager.handlePurchaseEvent(first)).action).toBe('recorded');
      expect((await manager.handlePurchaseEvent(second)).action).toBe('recorded');
      expect((await manager.handlePurchaseEvent(second)).action).toBe('duplicate');
      const refunds = [];
      for await (const record of manager.audit.query({ kind: 'purchase', source: 'lemonsqueezy' })) {
        if (record.kind === 'purchase' && record.event.type !== 'sale') refunds.push(record.event);
      }
      expect(refunds.map((event) => [event.purchase.amount, event.refundTotal?.amount])).toEqual([
        [1000, 1000],
        [1500, 2500],
      ]);
      const stats = await manager.audit.getPurchaseStats();
      expect(stats.revenue.USD).toEqual({ gross: 3000, refunded: 2500, net: 500 });
    });

    it('keeps the running totals of two payments apart, and refunds delivered at once add up', async () => {
      const { manager } = setup(kind);
      const order = lemonSqueezyOrderCreatedEvent({ email, productId: 7, orderId: 42, total: 2000 });
      await manager.handlePurchaseEvent(normalize(order));
      const other = lemonSqueezyOrderCreatedEvent({ email, productId: 7, orderId: 43, total: 2000 });
      await manager.handlePurchaseEvent(normalize(other));
      await Promise.all([
        manager.handlePurchaseEvent(normalize(orderRefunded(order, 500, '2025-03-02T10:00:00.000Z'))),
        manager.handlePurchaseEvent(normalize(orderRefunded(order, 1200, '2025-03-03T10:00:00.000Z'))),
        manager.handlePurchaseEvent(normalize(orderRefunded(other, 2000, '2025-03-03T11:00:00.000Z'))),
      ]);
      const stats = await manager.audit.getPurchaseStats();
      expect(stats.revenue.USD).toEqual({ gross: 4000, refunded: 3200, net: 800 });
    });

    it('keeps an order and a subscription invoice with the same id apart', async () => {
      const { manager } = setup(kind);
      const order = lemonSqueezyOrderCreatedEvent({ email, productId: 7, orderId: 42, total: 999 });
      await manager.handlePurchaseEvent(normalize(order));
      await manager.handlePurchaseEvent(normalize(orderRefunded(order, 999, '2025-03-02T10:00:00.000Z')));
      const invoice = lemonSqueezySubscriptionPaymentEvent({
        email: 'grace@example.com',
        subscriptionId: 9,
        invoiceId: 42,
        total: 1999,
        refundedAmount: 1999,
      });
      await manager.handlePurchaseEvent(normalize(invoice));
      const refunded = [];
      for await (const record of manager.audit.query({ kind: 'purchase', type: 'refund' })) {
        if (record.kind === 'purchase') refunded.push(record.event.purchase.amount);
      }
      expect(refunded).toEqual([999, 1999]);
    });
  });
});
