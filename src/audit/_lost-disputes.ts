import type { PurchaseEvent } from '../domain/purchase.js';

/**
 * What lost disputes took, per sale and currency, until a won dispute of the sale gives it back: a
 * chargeback that the store reverses (Paddle's `chargeback_reverse` after its `chargeback`). Read the
 * log in order through {@link settle}; memory grows with the sales that lost a dispute only.
 */
export class LostDisputes {
  /** What each sale (and currency) lost and has not got back, and the product that loss was booked under. */
  readonly #owed = new Map<string, { amount: number; productId: string }>();

  /**
   * Takes the next event of the log: a `dispute_lost` adds what it took to its sale; a
   * `dispute_won` returns what it gives back of that (0 for a sale that lost nothing).
   */
  settle(event: PurchaseEvent): number {
    const { type } = event;
    if (type !== 'dispute_lost' && type !== 'dispute_won') return 0; // most events, at no cost
    const key = `${saleOf(event)}\u0000${event.purchase.currency}`;
    const owed = this.#owed.get(key);
    if (type === 'dispute_lost') {
      const amount = (owed?.amount ?? 0) + event.purchase.amount;
      this.#owed.set(key, { amount, productId: event.purchase.productId });
      return 0;
    }
    if (owed === undefined || owed.amount === 0) return 0;
    const back = Math.min(owed.amount, event.purchase.amount);
    owed.amount -= back;
    return back;
  }

  /**
   * The product the loss of `event`'s sale was booked under: what a give-back settled for it gives
   * back to (a loss that came before its sale is under `'unknown'`, its give-back under the product).
   */
  lostUnder(event: PurchaseEvent): string {
    return (
      this.#owed.get(`${saleOf(event)}\u0000${event.purchase.currency}`)?.productId ??
      event.purchase.productId
    );
  }

  /** Whether `event`'s sale lost a dispute that was not reversed (so far in the log). */
  stands(event: PurchaseEvent): boolean {
    return (this.#owed.get(`${saleOf(event)}\u0000${event.purchase.currency}`)?.amount ?? 0) > 0;
  }
}

/** The sale of an event: its store and sale id. */
export function saleOf(event: PurchaseEvent): string {
  return `${event.purchase.source}\u0000${event.purchase.saleId}`;
}
