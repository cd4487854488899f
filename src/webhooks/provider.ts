import type { PurchaseEvent } from '../domain/purchase.js';

/**
 * A store integration: reads a webhook `Request` (verifying it first) and returns the purchase event
 * it describes, or `null` for an event that is not about purchases (acknowledged and ignored).
 * Rejects with `WebhookVerificationError` (401) or `NormalizationError` (400); the handler maps both.
 */
export interface WebhookProvider {
  /** The store id, also `purchase.source` of its events, e.g. `stripe`. */
  readonly id: string;
  /** Media types the store sends (e.g. `application/json`); others are refused with 415. */
  readonly accepts?: readonly string[];
  parse(request: Request): Promise<PurchaseEvent | null>;
}
