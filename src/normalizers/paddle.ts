import { z } from 'zod';
import { emailAddressPattern } from '../domain/_schema-parts.js';
import { NormalizationError } from '../domain/errors.js';
import {
  type Purchase,
  type PurchaseEvent,
  type PurchaseEventType,
  unknownProductId,
} from '../domain/purchase.js';
import { normalizeWith, safeVariant } from './_normalize.js';
import {
  type Adjustment,
  adjustmentEvent,
  anyNotification,
  type Buyer,
  type Subscription,
  subscriptionEvent,
  type Transaction,
  transactionCustomer,
  transactionEvent,
} from './_paddle-payloads.js';

/** Options of {@link normalizePaddleEvent}: what Paddle's payloads leave out. */
export interface PaddleNormalizeOptions {
  /** The buyer's email (e.g. from `GET /customers/{id}`); wins over `custom_data.email`. */
  customerEmail?: string;
  /** The buyer's name; wins over `custom_data.name`. */
  customerName?: string;
  /** Mark the event as a test purchase (Paddle payloads do not say sandbox or live). Default false. */
  isTest?: boolean;
}

/** Transaction origins that are a sale, and the one that is a renewal; others (updates, payment-method changes) → `null`. */
const transactionTypes: ReadonlyMap<string, PurchaseEventType> = new Map([
  ['web', 'sale'],
  ['api', 'sale'],
  ['subscription_recurring', 'renewal'],
]);

/** Approved adjustment actions and what they mean for the license; credits → `null`. */
const adjustmentTypes: ReadonlyMap<string, PurchaseEventType> = new Map([
  ['chargeback', 'dispute_lost'],
  ['chargeback_warning', 'dispute'],
  ['chargeback_reverse', 'dispute_won'],
  ['chargeback_warning_reverse', 'dispute_won'],
]);

/** Just the event name, to choose the schema the rest of the payload must match. */
const eventType = z.object({ event_type: z.string() });

/**
 * Turns a Paddle Billing notification (the parsed webhook body) into a `PurchaseEvent`, `null` when it
 * is not about a purchase, or throws `NormalizationError` listing the issues. Decisions:
 *
 * - `transaction.completed` → `sale` for `origin` `web` (checkout) or `api`; `renewal` for
 *   `subscription_recurring`; other origins (`subscription_update` prorations, payment-method changes,
 *   one-off `subscription_charge`s) → `null`, so they never issue a second license. `saleId` = the
 *   transaction id; `subscriptionId` = `subscription_id`; product = the first item's
 *   `price.product_id`, tier its price `name`, quantity its `quantity`; amount
 *   `details.totals.grand_total` (what was charged after credits), else `total`.
 * - Paddle transactions carry no email: it is `options.customerEmail` (the provider's
 *   `resolveCustomer`), else `custom_data.email`; a sale or renewal with neither is a
 *   `NormalizationError`. Other events use them when present, else `''`.
 * - `adjustment.created` / `adjustment.updated` act only once `status` is `approved` (a refund is
 *   created `pending_approval`); any other status → `null`. Action `refund` → `refund` for type `full`
 *   (or, when the adjustment has no `type`, as in older payloads, when every item's `type` is
 *   `full`), else `partial_refund`; `chargeback` → `dispute_lost`; `chargeback_warning` → `dispute`;
 *   `chargeback_reverse` and `chargeback_warning_reverse` → `dispute_won`; credits → `null`. Amount
 *   `totals.total`; `saleId` = `transaction_id`. Paddle may announce one approved adjustment twice
 *   (created, then updated), so `eventId` is `paddle:adjustment:<adj_…>` and it is recorded once.
 *   Adjustments name no product: it is `'unknown'` (the license is found by transaction).
 * - `subscription.canceled` → `subscription_ended`: Paddle sends it when the cancellation takes effect
 *   (`status: canceled`); a scheduled cancellation is a `subscription.updated` with
 *   `scheduled_change.action: cancel`, which is `null` here. `saleId` = the subscription id, amount 0.
 * - Everything else → `null`.
 *
 * Always: `eventId` = `event_id` (except adjustments, above); `occurredAt` = `occurred_at`;
 * `purchasedAt` = `billed_at` for transactions, else `occurred_at`; currency upper-cased; amounts are
 * Paddle's integer-as-string minor units, as numbers; `isTest` = `options.isTest`.
 */
export function normalizePaddleEvent(
  payload: unknown,
  options: PaddleNormalizeOptions = {},
): PurchaseEvent | null {
  const type = eventType.safeParse(payload).data?.event_type;
  switch (type) {
    case 'transaction.completed':
      return normalizeWith('Paddle', transactionEvent, payload, (parsed) => fromTransaction(parsed, options));
    case 'adjustment.created':
    case 'adjustment.updated':
      return normalizeWith('Paddle', adjustmentEvent, payload, (parsed) => fromAdjustment(parsed, options));
    case 'subscription.canceled':
      return normalizeWith('Paddle', subscriptionEvent, payload, (parsed) =>
        fromSubscription(parsed, options),
      );
    case undefined:
      return normalizeWith('Paddle', anyNotification, payload, () => null);
    default:
      return null;
  }
}

/** {@link normalizePaddleEvent} returning `{ success, data | error }` instead of throwing. */
export const safeNormalizePaddleEvent = safeVariant(normalizePaddleEvent);

/**
 * @internal The customer whose email {@link normalizePaddleEvent} needs: `data.customer_id` of a
 * `transaction.completed` that becomes a sale or renewal, else `null`. Lets the provider look up only
 * what it must.
 */
export function paddleCustomerToResolve(payload: unknown): string | null {
  const parsed = transactionCustomer.safeParse(payload);
  return parsed.success && transactionTypes.has(parsed.data.data.origin)
    ? parsed.data.data.customer_id
    : null;
}

const noEmail =
  'no buyer email: give paddle() a resolveCustomer option, or pass custom_data.email at checkout';

type Envelope = { event_id: string; occurred_at: string };
type Fields = Pick<Purchase, 'saleId' | 'productId' | 'amount' | 'currency'> & Partial<Purchase>;

function toEvent(
  envelope: Envelope,
  type: PurchaseEventType,
  buyer: Buyer,
  options: PaddleNormalizeOptions,
  fields: Fields,
): PurchaseEvent {
  const occurredAt = envelope.occurred_at;
  const email = (options.customerEmail ?? buyer?.email ?? '').trim().toLowerCase();
  if (email !== '' && !emailAddressPattern.test(email)) {
    throw new NormalizationError('NORMALIZATION_FAILED', 'the Paddle buyer email is not one address', {
      issues: [
        {
          path: options.customerEmail === undefined ? 'data.custom_data.email' : 'customerEmail',
          message: 'expected one email address',
        },
      ],
    });
  }
  const purchase: Purchase = {
    source: 'paddle',
    customerName: options.customerName ?? buyer?.name ?? '',
    customerId: null,
    productName: '',
    tier: null,
    quantity: 1,
    purchasedAt: occurredAt,
    isTest: options.isTest ?? false,
    isRecurring: false,
    subscriptionId: null,
    sourceLicenseKey: null,
    ...fields,
    email,
    currency: fields.currency.toUpperCase(),
  };
  return { type, eventId: envelope.event_id, occurredAt, purchase };
}

function fromTransaction(parsed: Transaction, options: PaddleNormalizeOptions): PurchaseEvent | null {
  const transaction = parsed.data;
  const type = transactionTypes.get(transaction.origin);
  if (type === undefined) return null;
  if (!(options.customerEmail ?? transaction.custom_data?.email)?.trim()) {
    throw new NormalizationError('NORMALIZATION_FAILED', 'the Paddle transaction has no buyer email', {
      issues: [{ path: 'data.custom_data.email', message: noEmail }],
    });
  }
  const [first] = transaction.items;
  const totals = transaction.details.totals;
  return toEvent(parsed, type, transaction.custom_data, options, {
    saleId: transaction.id,
    productId: first.price.product_id,
    productName: first.product?.name ?? transaction.details.line_items?.[0]?.product?.name ?? '',
    tier: first.price.name ?? null,
    quantity: first.quantity,
    amount: totals.grand_total ?? totals.total,
    currency: transaction.currency_code,
    customerId: transaction.customer_id ?? null,
    purchasedAt: transaction.billed_at ?? parsed.occurred_at,
    isRecurring: transaction.subscription_id != null,
    subscriptionId: transaction.subscription_id ?? null,
  });
}

function fromAdjustment(parsed: Adjustment, options: PaddleNormalizeOptions): PurchaseEvent | null {
  const adjustment = parsed.data;
  if (adjustment.status !== 'approved') return null;
  // Older payloads say `full` only on each item, not on the adjustment.
  const items = adjustment.items ?? [];
  const full =
    adjustment.type === 'full' ||
    (adjustment.type == null && items.length > 0 && items.every((item) => item.type === 'full'));
  const refund = full ? 'refund' : 'partial_refund';
  const type = adjustment.action === 'refund' ? refund : adjustmentTypes.get(adjustment.action);
  if (type === undefined) return null;
  return toEvent(
    { event_id: `paddle:adjustment:${adjustment.id}`, occurred_at: parsed.occurred_at },
    type,
    null,
    options,
    {
      saleId: adjustment.transaction_id,
      productId: unknownProductId,
      amount: adjustment.totals.total,
      currency: adjustment.currency_code,
      customerId: adjustment.customer_id ?? null,
      isRecurring: adjustment.subscription_id != null,
      subscriptionId: adjustment.subscription_id ?? null,
    },
  );
}

function fromSubscription(parsed: Subscription, options: PaddleNormalizeOptions): PurchaseEvent {
  const subscription = parsed.data;
  const [first] = subscription.items;
  return toEvent(parsed, 'subscription_ended', subscription.custom_data, options, {
    saleId: subscription.id,
    productId: first.price.product_id,
    productName: first.product?.name ?? '',
    tier: first.price.name ?? null,
    quantity: first.quantity,
    amount: 0,
    currency: subscription.currency_code,
    customerId: subscription.customer_id ?? null,
    isRecurring: true,
    subscriptionId: subscription.id,
  });
}
