import { describe, expect, it } from 'vitest';
import { LicenseManager, memoryStorage, normalizePaddleEvent, type PurchaseEvent } from '../../src/index.js';
import { fakeClock, paddleTransactionCompletedEvent } from '../../src/testing.js';

/**
 * Paddle: a `chargeback` adjustment (→ `dispute_lost`) takes the money back; a later
 * `chargeback_reverse` (→ `dispute_won`) returns it. The manager reinstates the license
 * ("dispute_won: reinstate ... one revoked for a chargeback"), and the books give the money back:
 * the sale is neither refunded in the stats nor listed as lost in a dispute.
 */
function adjustment(action: string, eventId: string, adjustmentId: string, at: string): PurchaseEvent {
  const event = normalizePaddleEvent({
    event_id: eventId,
    event_type: 'adjustment.created',
    occurred_at: at,
    notification_id: `ntf_${eventId}`,
    data: {
      id: adjustmentId,
      action,
      type: 'full',
      status: 'approved',
      reason: 'chargeback',
      transaction_id: 'txn_01A',
      subscription_id: null,
      customer_id: 'ctm_01A',
      currency_code: 'USD',
      totals: { subtotal: '4900', tax: '0', total: '4900', fee: '0', earnings: '0', currency_code: 'USD' },
      items: [{ id: `adjitm_${adjustmentId}`, item_id: 'txnitm_01A', type: 'full', amount: '4900' }],
      created_at: at,
      updated_at: at,
    },
  });
  if (event === null) throw new Error('not normalized');
  return event;
}

/** The sale of transaction `txn_01A`: 49.00 USD of `pro_app`. */
function paddleSale(): PurchaseEvent {
  return normalizePaddleEvent(
    paddleTransactionCompletedEvent({
      email: 'ada@example.com',
      productId: 'pro_app',
      amount: 4900,
      transactionId: 'txn_01A',
      eventId: 'evt_sale',
      occurredAt: '2025-03-01T00:00:00.000Z',
    }),
  )!;
}

async function setUp() {
  const storage = memoryStorage();
  const manager = new LicenseManager({ storage, clock: fakeClock('2025-03-05T00:00:00Z') });
  expect((await manager.handlePurchaseEvent(paddleSale())).action).toBe('created');
  const lost = adjustment('chargeback', 'evt_cb', 'adj_cb', '2025-03-02T00:00:00.000Z');
  const reversed = adjustment('chargeback_reverse', 'evt_cbr', 'adj_cbr', '2025-03-03T00:00:00.000Z');
  expect(lost.type).toBe('dispute_lost');
  expect(reversed.type).toBe('dispute_won');
  expect((await manager.handlePurchaseEvent(lost)).action).toBe('revoked');
  const won = await manager.handlePurchaseEvent(reversed);
  expect(won.action).toBe('reinstated');
  expect(won.license?.status).toBe('active');
  return manager;
}

describe('a chargeback that is reversed (Paddle chargeback → chargeback_reverse)', () => {
  it('leaves the money in the books: net is the sale again', async () => {
    const manager = await setUp();
    const stats = await manager.audit.getPurchaseStats();
    // The money came back: nothing is refunded in the end.
    expect(stats.revenue).toEqual({ USD: { gross: 4900, refunded: 0, net: 4900 } });
    expect(stats.topProducts[0]?.revenue).toEqual({ USD: 4900 });
  });

  it('is not listed by getRefundedPurchases (the dispute was won in the end)', async () => {
    const manager = await setUp();
    const refunded = [];
    for await (const record of manager.audit.getRefundedPurchases())
      refunded.push(record.event.purchase.saleId);
    expect(refunded).toEqual([]);
  });
});

describe('a chargeback that came before its sale, then reversed', () => {
  it('gives back to the product it was booked under: every product view agrees', async () => {
    const manager = new LicenseManager({
      storage: memoryStorage(),
      clock: fakeClock('2025-03-05T00:00:00Z'),
    });
    // Paddle adjustments name no product: before its sale, the loss is booked under 'unknown'.
    const lost = adjustment('chargeback', 'evt_cb', 'adj_cb', '2025-03-02T00:00:00.000Z');
    expect((await manager.handlePurchaseEvent(lost)).action).toBe('recorded');
    await manager.handlePurchaseEvent(paddleSale());
    // By now the license is known, so the reversal is filed under its product.
    await manager.handlePurchaseEvent(
      adjustment('chargeback_reverse', 'evt_cbr', 'adj_cbr', '2025-03-03T00:00:00.000Z'),
    );
    const all = await manager.audit.getPurchaseStats();
    const net = Object.fromEntries(all.topProducts.map((product) => [product.productId, product.revenue]));
    expect(net).toEqual({ pro_app: { USD: 4900 }, unknown: { USD: 0 } });
    expect(all.revenue).toEqual({ USD: { gross: 4900, refunded: 0, net: 4900 } });
    for (const productId of ['pro_app', 'unknown']) {
      const one = await manager.audit.getPurchaseStats({ productId });
      expect([productId, one.topProducts.map((product) => product.revenue)]).toEqual([
        productId,
        [net[productId]],
      ]);
    }
    expect((await manager.audit.getPurchaseStats({ productId: 'pro_app' })).revenue).toEqual({
      USD: { gross: 4900, refunded: 0, net: 4900 },
    });
    expect((await manager.audit.getPurchaseStats({ productId: 'unknown' })).revenue).toEqual({
      USD: { gross: 0, refunded: 0, net: 0 },
    });
  });
});
