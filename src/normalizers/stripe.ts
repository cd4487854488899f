import { z } from 'zod';
import { NormalizationError } from '../domain/errors.js';
import {
  type Purchase,
  type PurchaseEvent,
  type PurchaseEventType,
  unknownProductId,
} from '../domain/purchase.js';
import { normalizeWith, safeVariant } from './_normalize.js';
import {
  anyEvent,
  type Charge,
  type Checkout,
  chargeEvent,
  checkoutEvent,
  type Dispute,
  disputeEvent,
  type Invoice,
  invoiceEvent,
  type Metadata,
  type Subscription,
  subscriptionEvent,
} from './_stripe-payloads.js';

/** A Checkout Session as Stripe sent it; the fields licensekit reads are typed, the rest are `unknown`. */
export interface StripeCheckoutSession {
  readonly id: string;
  readonly mode: string;
  readonly metadata?: Readonly<Record<string, unknown>> | null;
  readonly client_reference_id?: string | null;
  readonly [field: string]: unknown;
}

/** Options of {@link normalizeStripeEvent}. */
export interface StripeNormalizeOptions {
  /**
   * The product of a Checkout Session without `metadata.product_id`: an id, or a function of the
   * session. A string also names the product of later events whose object has no `metadata.product_id`.
   */
  productId?: string | ((session: StripeCheckoutSession) => string);
  /**
   * The subscription a refunded or disputed charge paid for, when the caller looked it up (the
   * `stripe()` provider's `resolveSubscription` does): charges and disputes do not name it, and the
   * license of a subscription is keyed by it.
   */
  subscriptionId?: string;
}

/** The payment behind a refund or dispute, for looking up the subscription it paid for. */
export interface StripePayment {
  /** The charge (`ch_…`). */
  chargeId: string;
  /** Its payment intent (`pi_…`), when it has one. */
  paymentIntentId: string | null;
  /** The invoice it paid (`in_…`): sent on charges by API versions before 2025-03-31 only. */
  invoiceId: string | null;
}

const missing = (path: string, message: string) =>
  new NormalizationError('NORMALIZATION_FAILED', `the Stripe event cannot be normalized: ${message}`, {
    issues: [{ path, message }],
  });

/** Just the event name, to choose the schema the rest of the payload must match. */
const eventType = z.object({ type: z.string() });

/**
 * Turns a Stripe Event (the parsed webhook body) into a `PurchaseEvent`, `null` when it is not about
 * a purchase, or throws `NormalizationError` listing the issues. Decisions:
 *
 * - `checkout.session.completed` → `sale` when `payment_status` is `paid` or `no_payment_required`
 *   (a free trial or a 100 % coupon still buys a license); `unpaid` (delayed payment methods) → `null`,
 *   the sale comes with `checkout.session.async_payment_succeeded` → `sale`. `setup` mode → `null`.
 *   Amount `amount_total`; email `customer_details.email`, else `customer_email` (required); product
 *   `metadata.product_id`, else the `productId` option, else `NormalizationError` (sessions carry no
 *   line items); product name `metadata.product_name`, else the product id; tier `metadata.tier`.
 * - `saleId`: the `payment_intent` in payment mode (the session id when no payment was needed), the
 *   `subscription` in subscription mode, so one checkout is one license whatever events arrive.
 * - `charge.refunded` → `refund` when `amount_refunded` ≥ `amount`, else `partial_refund`. Amount:
 *   this refund's share, `amount_refunded` minus `previous_attributes.amount_refunded` when Stripe
 *   sends it (so several partial refunds add up), else the cumulative `amount_refunded`.
 * - `charge.dispute.created` → `dispute`; `charge.dispute.closed` → `dispute_won` for `won` and for
 *   `warning_closed` (an inquiry that ended without a chargeback must lift the suspension),
 *   `dispute_lost` for `lost`, `null` otherwise. Amount: the disputed amount.
 *   Refunds and disputes carry `saleId` = the `payment_intent` (the charge id without one), and
 *   the `subscriptionId` option when given (`isRecurring` then), so a refunded subscription payment
 *   finds the license keyed by its subscription.
 * - `invoice.paid` → `renewal` only for `billing_reason: subscription_cycle` (`subscription_create`
 *   is the checkout's sale; updates and manual invoices → `null`). Subscription from
 *   `parent.subscription_details.subscription` (API ≥ 2025-03-31) or `subscription` (older);
 *   `saleId` = the subscription id. Product from the subscription's `metadata.product_id`.
 * - `customer.subscription.deleted` → `subscription_ended`, `saleId` = subscription id, amount 0.
 * - Everything else → `null`.
 *
 * Always: `eventId` = the Event `id` (`evt_…`); `occurredAt` and `purchasedAt` = the Event `created`
 * (seconds); `isTest` = `!livemode`; currency upper-cased; amounts are Stripe's integer minor units
 * (yen for JPY, fils for KWD), in ISO 4217's unit where Stripe's differs: Stripe counts ISK in
 * hundredths of a króna (an amount that is not whole krónur is refused) and MGA in whole ariary.
 * Email, when an object carries none, is `''`; the product of a non-sale event without
 * `metadata.product_id` is the `productId` option when it is a string, else `'unknown'` (the
 * license is found by sale or subscription, not product). Quantity is 1 (sessions carry no items).
 */
export function normalizeStripeEvent(
  input: unknown,
  options: StripeNormalizeOptions = {},
): PurchaseEvent | null {
  const type = eventType.safeParse(input).data?.type;
  switch (type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
      return normalizeWith('Stripe', checkoutEvent, input, (parsed) => fromCheckout(parsed, options));
    case 'charge.refunded':
      return normalizeWith('Stripe', chargeEvent, input, (parsed) => fromCharge(parsed, options));
    case 'charge.dispute.created':
    case 'charge.dispute.closed':
      return normalizeWith('Stripe', disputeEvent, input, (parsed) => fromDispute(parsed, options));
    case 'invoice.paid':
      return normalizeWith('Stripe', invoiceEvent, input, (parsed) => fromInvoice(parsed, options));
    case 'customer.subscription.deleted':
      return normalizeWith('Stripe', subscriptionEvent, input, (parsed) => fromSubscription(parsed, options));
    case undefined:
      return normalizeWith('Stripe', anyEvent, input, () => null);
    default:
      return null;
  }
}

/** {@link normalizeStripeEvent} returning `{ success, data | error }` instead of throwing. */
export const safeNormalizeStripeEvent = safeVariant(normalizeStripeEvent);

/**
 * The payment of a `charge.refunded` or `charge.dispute.*` event, whose subscription only Stripe's
 * API knows; `null` for other events, malformed ones, and charges that paid no invoice (`invoice:
 * null`, sent by API versions before 2025-03-31). Lets the provider look up only what it must.
 */
export function stripePaymentToResolve(input: unknown): StripePayment | null {
  const type = eventType.safeParse(input).data?.type;
  if (type === 'charge.refunded') {
    const charge = chargeEvent.safeParse(input).data?.data.object;
    if (!charge || charge.invoice === null) return null;
    return { chargeId: charge.id, paymentIntentId: charge.payment_intent, invoiceId: charge.invoice ?? null };
  }
  if (type === 'charge.dispute.created' || type === 'charge.dispute.closed') {
    const dispute = disputeEvent.safeParse(input).data?.data.object;
    return dispute
      ? { chargeId: dispute.charge, paymentIntentId: dispute.payment_intent, invoiceId: null }
      : null;
  }
  return null;
}

type Envelope = { id: string; created: number; livemode: boolean };
type Options = StripeNormalizeOptions;

function toEvent(
  envelope: Envelope,
  type: PurchaseEventType,
  meta: Metadata,
  fields: Pick<Purchase, 'saleId' | 'productId' | 'amount' | 'currency'> & Partial<Purchase>,
): PurchaseEvent {
  const at = new Date(envelope.created * 1000).toISOString();
  const currency = fields.currency.toUpperCase();
  const purchase: Purchase = {
    source: 'stripe',
    customerName: '',
    customerId: null,
    productName: meta?.product_name ?? fields.productId,
    tier: meta?.tier ?? null,
    quantity: 1,
    purchasedAt: at,
    isTest: !envelope.livemode,
    isRecurring: false,
    subscriptionId: null,
    sourceLicenseKey: null,
    ...fields,
    email: (fields.email ?? '').trim().toLowerCase(),
    currency,
    amount: isoAmount(fields.amount, currency),
  };
  return { type, eventId: envelope.id, occurredAt: at, purchase };
}

/**
 * Stripe's integer amount of `currency` in ISO 4217 minor units (what `Purchase.amount` holds). They
 * are the same but for two currencies: Stripe keeps ISK two-decimal and treats MGA as zero-decimal,
 * where ISO 4217 gives ISK no decimals and MGA two.
 */
function isoAmount(amount: number, currency: string): number {
  if (currency === 'MGA') return amount * 100;
  if (currency !== 'ISK') return amount;
  if (amount % 100 !== 0) {
    throw missing('data.object', `ISK ${amount} (in hundredths) is not whole krónur`);
  }
  return amount / 100;
}

/** The product named by `meta`, else the string `productId` option, else `'unknown'`. */
function laterProduct(meta: Metadata, options: Options): string {
  return meta?.product_id ?? (typeof options.productId === 'string' ? options.productId : unknownProductId);
}

function fromCheckout(parsed: Checkout, options: Options): PurchaseEvent | null {
  const session = parsed.data.object;
  const paid =
    parsed.type === 'checkout.session.async_payment_succeeded' || session.payment_status !== 'unpaid';
  if (session.mode === 'setup' || !paid) return null;
  const option = options.productId;
  const productId = session.metadata?.product_id ?? (typeof option === 'function' ? option(session) : option);
  if (!productId) {
    throw missing(
      'data.object.metadata.product_id',
      'a Checkout Session carries no line items: set metadata.product_id or the productId option',
    );
  }
  const email = (session.customer_details?.email || session.customer_email)?.trim();
  if (!email) throw missing('data.object.customer_details.email', 'the session has no email');
  if (!session.currency) throw missing('data.object.currency', 'the session has no currency');
  const subscription = session.mode === 'subscription' ? session.subscription : null;
  if (session.mode === 'subscription' && !subscription) {
    throw missing('data.object.subscription', 'a subscription-mode session names no subscription');
  }
  return toEvent(parsed, 'sale', session.metadata, {
    saleId: subscription ?? session.payment_intent ?? session.id,
    productId,
    amount: session.amount_total ?? 0,
    currency: session.currency,
    email,
    customerName: session.customer_details?.name ?? '',
    customerId: session.customer,
    isRecurring: subscription !== null,
    subscriptionId: subscription,
  });
}

function fromCharge(parsed: Charge, options: Options): PurchaseEvent {
  const charge = parsed.data.object;
  const before = parsed.data.previous_attributes?.amount_refunded ?? 0;
  return toEvent(
    parsed,
    charge.amount_refunded >= charge.amount ? 'refund' : 'partial_refund',
    charge.metadata,
    {
      saleId: charge.payment_intent ?? charge.id,
      productId: laterProduct(charge.metadata, options),
      amount: Math.max(charge.amount_refunded - before, 0),
      currency: charge.currency,
      email: charge.billing_details?.email ?? charge.receipt_email ?? '',
      customerName: charge.billing_details?.name ?? '',
      customerId: charge.customer,
      ...subscriptionOf(options),
    },
  );
}

/** The purchase fields of a refund or dispute of a subscription payment, when the caller named it. */
function subscriptionOf(options: Options): Partial<Purchase> {
  return options.subscriptionId ? { isRecurring: true, subscriptionId: options.subscriptionId } : {};
}

const disputeOutcomes: ReadonlyMap<string, PurchaseEventType> = new Map([
  ['won', 'dispute_won'],
  ['warning_closed', 'dispute_won'],
  ['lost', 'dispute_lost'],
]);

function fromDispute(parsed: Dispute, options: Options): PurchaseEvent | null {
  const dispute = parsed.data.object;
  const type = parsed.type === 'charge.dispute.created' ? 'dispute' : disputeOutcomes.get(dispute.status);
  if (type === undefined) return null;
  return toEvent(parsed, type, dispute.metadata, {
    saleId: dispute.payment_intent ?? dispute.charge,
    productId: laterProduct(dispute.metadata, options),
    amount: dispute.amount,
    currency: dispute.currency,
    ...subscriptionOf(options),
  });
}

function fromInvoice(parsed: Invoice, options: Options): PurchaseEvent | null {
  const invoice = parsed.data.object;
  if (invoice.billing_reason !== 'subscription_cycle') return null;
  const details = invoice.parent?.subscription_details ?? invoice.subscription_details;
  const subscription = details?.subscription ?? invoice.subscription;
  if (subscription === null) {
    throw missing(
      'data.object.parent.subscription_details.subscription',
      'the renewal names no subscription',
    );
  }
  return toEvent(parsed, 'renewal', details?.metadata, {
    saleId: subscription,
    productId: laterProduct(details?.metadata, options),
    amount: invoice.amount_paid,
    currency: invoice.currency,
    email: invoice.customer_email ?? '',
    customerName: invoice.customer_name ?? '',
    customerId: invoice.customer,
    isRecurring: true,
    subscriptionId: subscription,
  });
}

function fromSubscription(parsed: Subscription, options: Options): PurchaseEvent {
  const subscription = parsed.data.object;
  return toEvent(parsed, 'subscription_ended', subscription.metadata, {
    saleId: subscription.id,
    productId: laterProduct(subscription.metadata, options),
    amount: 0,
    currency: subscription.currency,
    customerId: subscription.customer,
    isRecurring: true,
    subscriptionId: subscription.id,
  });
}
