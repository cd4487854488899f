import { z } from 'zod';
import { parseWith } from './_parse.js';
import { emailAddressPattern, eventTimestamp, longText, nonEmpty, shortText } from './_schema-parts.js';

/** Every kind of purchase event a store can send, after normalization. */
export type PurchaseEventType =
  | 'sale'
  | 'refund'
  | 'partial_refund'
  | 'dispute'
  | 'dispute_won'
  | 'dispute_lost'
  | 'renewal'
  | 'cancellation'
  | 'subscription_ended'
  | 'subscription_restarted'
  | 'subscription_created';

/** The event types, in rulebook order. */
export const purchaseEventTypes: readonly PurchaseEventType[] = [
  'sale',
  'refund',
  'partial_refund',
  'dispute',
  'dispute_won',
  'dispute_lost',
  'renewal',
  'cancellation',
  'subscription_ended',
  'subscription_restarted',
  'subscription_created',
];

/** One sale as every store's webhook normalizes to it. Money is integer minor units of `currency`. */
export interface Purchase {
  /** `gumroad`, `stripe`, `lemonsqueezy`, `paddle`, `paypal`, `manual` or a custom store id. */
  source: string;
  /** The store's id for the sale, stable across all of that sale's later events. */
  saleId: string;
  /** Trimmed and lower-cased; one address, or empty when the store sent none. */
  email: string;
  customerName: string;
  customerId: string | null;
  productId: string;
  productName: string;
  tier: string | null;
  /** Integer minor units (cents); for refunds, the refunded amount. */
  amount: number;
  /** ISO 4217, upper-case. */
  currency: string;
  quantity: number;
  purchasedAt: string;
  isTest: boolean;
  isRecurring: boolean;
  subscriptionId: string | null;
  /** The store's own license key, when it issued one (Gumroad). */
  sourceLicenseKey: string | null;
}

/**
 * The `productId` of an event whose store payload names no product (a Stripe refund, a Lemon Squeezy
 * renewal invoice, a Paddle adjustment). The manager files such an event under its license's product.
 */
export const unknownProductId = 'unknown';

/** The event types that pay (`sale`, `renewal`), as the books count them. */
export const paymentTypes: ReadonlySet<PurchaseEventType> = new Set(['sale', 'renewal']);

/** A purchase-related webhook event, normalized. `eventId` is unique per `purchase.source`. */
export interface PurchaseEvent {
  type: PurchaseEventType;
  eventId: string;
  occurredAt: string;
  purchase: Purchase;
  /**
   * Set on a refund by a store that reports only the running total refunded of a payment (Lemon
   * Squeezy). The manager books the refund's own share, this total less what earlier refunds of the
   * payment booked, as `purchase.amount`, so refunds in steps add up to what was refunded.
   */
  refundTotal?: RefundTotal;
}

/** The running total refunded of one payment, as a store reports it (see `PurchaseEvent.refundTotal`). */
export interface RefundTotal {
  /** A name unique to the payment refunded, an order or an invoice (Lemon Squeezy: `orders/42`). */
  payment: string;
  /** All that was refunded of that payment so far, in minor units of `purchase.currency`. */
  amount: number;
}

/** @internal zod schema of {@link Purchase}. */
export const purchaseSchema: z.ZodType<Purchase> = z.strictObject({
  source: nonEmpty,
  saleId: nonEmpty,
  email: shortText
    .refine((value) => value === value.trim().toLowerCase(), 'email must be trimmed and lower-case')
    .refine(
      (value) => value === '' || emailAddressPattern.test(value),
      'email must be one address (or empty when the store sent none)',
    ),
  customerName: longText,
  customerId: shortText.nullable(),
  productId: nonEmpty,
  productName: longText,
  tier: shortText.nullable(),
  amount: z.int().min(0),
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected an upper-case ISO 4217 currency code'),
  quantity: z.int().min(1),
  purchasedAt: eventTimestamp,
  isTest: z.boolean(),
  isRecurring: z.boolean(),
  subscriptionId: shortText.nullable(),
  sourceLicenseKey: shortText.nullable(),
});

/** @internal zod schema of {@link PurchaseEvent}. */
export const purchaseEventSchema: z.ZodType<PurchaseEvent> = z.strictObject({
  type: z.enum(purchaseEventTypes as [PurchaseEventType, ...PurchaseEventType[]]),
  eventId: nonEmpty,
  occurredAt: eventTimestamp,
  purchase: purchaseSchema,
  refundTotal: z.strictObject({ payment: nonEmpty, amount: z.int().min(0) }).optional(),
});

/** Checks that `input` is a well-formed {@link PurchaseEvent}; throws `INVALID_INPUT` listing the issues. */
export function parsePurchaseEvent(input: unknown): PurchaseEvent {
  return parseWith(purchaseEventSchema, input, 'purchase event');
}
