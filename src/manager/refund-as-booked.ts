import { type PurchaseEvent, paymentTypes } from '../domain/purchase.js';
import type { PurchaseLog } from '../ports/storage.js';

/**
 * A refund as the books take it, reading the log's purchase records of its store once (refunds are
 * rare); any other event as it is:
 * - reported as the running total refunded of a payment (`refundTotal`), its own share: that total
 *   less what the log's earlier refunds of the payment booked (never below 0);
 * - a `partial_refund` that, with the sale's earlier refunds in its currency, refunds all the
 *   sale's payments, a `refund`: the sale is refunded in full, however many steps it took (Paddle
 *   reports each partial refund on its own).
 */
export async function refundAsBooked(log: PurchaseLog, event: PurchaseEvent): Promise<PurchaseEvent> {
  const total = event.refundTotal;
  const { source, saleId, currency, amount } = event.purchase;
  if (total === undefined && event.type !== 'partial_refund') return event;
  let paid = 0;
  let refunded = 0;
  for await (const record of log.scan({ kind: 'purchase', source })) {
    const earlier = record.kind === 'purchase' ? record.event : null;
    if (total) {
      if (earlier?.refundTotal?.payment === total.payment) refunded += earlier.purchase.amount;
    } else if (earlier?.purchase.saleId === saleId && earlier.purchase.currency === currency) {
      if (paymentTypes.has(earlier.type)) paid += earlier.purchase.amount;
      else if (earlier.type === 'refund' || earlier.type === 'partial_refund')
        refunded += earlier.purchase.amount;
    }
  }
  if (!total) return paid > 0 && refunded + amount >= paid ? { ...event, type: 'refund' } : event;
  const share = Math.max(0, total.amount - refunded);
  return share === amount ? event : { ...event, purchase: { ...event.purchase, amount: share } };
}
