import { z } from 'zod';
import {
  type Purchase,
  type PurchaseEvent,
  type PurchaseEventType,
  unknownProductId,
} from '../domain/purchase.js';
import { storeTimestamp } from './_iso-utc.js';
import { normalizeWith, safeVariant } from './_normalize.js';

const amount = z.int().min(0);
const currency = z.string().regex(/^[a-zA-Z]{3}$/, 'expected an ISO 4217 currency code');
const numericId = z.union([z.int(), z.string().min(1)]).transform(String);
const buyer = {
  customer_id: numericId.nullish(),
  user_name: z.string().nullish(),
  user_email: z.string(),
  created_at: storeTimestamp,
  updated_at: storeTimestamp,
  test_mode: z.boolean().optional(),
};

/** A webhook body: `meta` plus one JSON:API resource whose `type` and attributes match. */
const envelope = <const E extends readonly [string, ...string[]], A extends z.ZodType>(
  events: E,
  type: string,
  attributes: A,
) =>
  z.object({
    meta: z.object({ event_name: z.enum(events), test_mode: z.boolean().optional() }),
    data: z.object({ type: z.literal(type), id: z.string().min(1), attributes }),
  });

/** What an order and a subscription invoice say about their payment and its refunds. */
const payment = {
  currency,
  total: amount,
  status: z.string(),
  refunded: z.boolean().optional(),
  refunded_at: storeTimestamp.nullish(),
  refunded_amount: amount.optional(),
};

const orderEvent = envelope(
  ['order_created', 'order_refunded'],
  'orders',
  z.object({
    ...buyer,
    ...payment,
    first_order_item: z.object({
      product_id: numericId,
      product_name: z.string(),
      variant_name: z.string().nullish(),
      quantity: z.int().min(1).optional(),
    }),
  }),
);

const subscriptionEvent = envelope(
  ['subscription_created', 'subscription_cancelled', 'subscription_expired'],
  'subscriptions',
  z.object({
    ...buyer,
    order_id: numericId,
    product_id: numericId,
    product_name: z.string(),
    variant_name: z.string().nullish(),
    first_subscription_item: z.object({ quantity: z.int().min(1).optional() }).nullish(),
  }),
);

const subscriptionTypes = {
  subscription_created: 'subscription_created',
  subscription_cancelled: 'cancellation',
  subscription_expired: 'subscription_ended',
} as const satisfies Record<z.infer<typeof subscriptionEvent>['meta']['event_name'], PurchaseEventType>;

const invoiceEvent = envelope(
  ['subscription_payment_success'],
  'subscription-invoices',
  z.object({ ...buyer, subscription_id: numericId, billing_reason: z.string(), currency, total: amount }),
);

const refundedInvoiceEvent = envelope(
  ['subscription_payment_refunded'],
  'subscription-invoices',
  z.object({ ...buyer, ...payment, subscription_id: numericId }),
);

/** Just the event name, to choose the schema the rest of the payload must match. */
const eventName = z.object({ meta: z.object({ event_name: z.string() }) });

/**
 * Turns a Lemon Squeezy webhook body (JSON:API: `meta.event_name`, `meta.custom_data`, `data.id`,
 * `data.attributes`) into a `PurchaseEvent`, `null` when it is not about a purchase, or throws
 * `NormalizationError` listing the issues. Decisions:
 *
 * - `order_created` → `sale` when `status` is `paid` (`pending`, `failed` → `null`). `saleId` = the
 *   order id (`data.id`); product `first_order_item.product_id`, tier its `variant_name`, quantity its
 *   `quantity` (1 when absent); amount `total`.
 * - `order_refunded` → `refund` when `refunded` is true, `status` is `refunded` or `refunded_amount`
 *   reaches `total`; otherwise `partial_refund` (`status: partial_refund`). Amount: `refunded_amount`,
 *   the cumulative refund (Lemon Squeezy sends no per-refund figure), also given as `refundTotal` of
 *   the order, from which the manager books this refund's own share; occurred at `refunded_at`.
 * - `subscription_payment_success` → `renewal` for `billing_reason: renewal` only (`initial` is the
 *   order's sale). The invoice names no order and no product, so `saleId` = the subscription id and
 *   the product is `'unknown'`: the license is found by `subscriptionId`.
 * - `subscription_payment_refunded` (a subscription charge refunded; `order_refunded` does not fire
 *   for renewal charges) → `refund` or `partial_refund` as for orders, found by `subscriptionId`
 *   like the renewal; amount `refunded_amount` and `refundTotal` of the invoice, as for orders;
 *   occurred at `refunded_at`.
 * - `subscription_created` → `subscription_created`: Lemon Squeezy sends it beside the order's
 *   `order_created`, and it is the only event naming both the order and the subscription, so the
 *   manager links the subscription to the order's license (or creates the license, when it comes
 *   first) and renewals find it. Quantity: `first_subscription_item.quantity` (1 when absent).
 * - `subscription_cancelled` → `cancellation` (access runs to the period end);
 *   `subscription_expired` → `subscription_ended`.
 * - For the three subscription events: `saleId` = the subscription's `order_id`, `subscriptionId` =
 *   `data.id`; amount 0 in currency `XXX` (ISO 4217 "no currency": a subscription carries none).
 * - Everything else (`subscription_updated`, license-key events, …) → `null`.
 *
 * Lemon Squeezy sends no event id, so `eventId` is derived from the payload:
 * `lemonsqueezy:<event_name>:<data.id>:<attributes.updated_at>` — identical for every redelivery of
 * one event, different for a later change of the same resource (a second partial refund). Always:
 * email `user_email` trimmed and lower-cased; name `user_name`; `customerId` = `customer_id`;
 * currency upper-cased; amounts are Lemon Squeezy's integer minor units; `isTest` = `meta.test_mode`
 * or `attributes.test_mode`; `occurredAt` = `updated_at` (refunds: `refunded_at`); `purchasedAt` =
 * the resource's `created_at`. Timestamps keep Lemon Squeezy's UTC text
 * (microseconds included).
 */
export function normalizeLemonSqueezyEvent(payload: unknown): PurchaseEvent | null {
  const name = eventName.safeParse(payload).data?.meta.event_name;
  switch (name) {
    case 'order_created':
    case 'order_refunded':
      return normalizeWith('Lemon Squeezy', orderEvent, payload, fromOrder);
    case 'subscription_created':
    case 'subscription_cancelled':
    case 'subscription_expired':
      return normalizeWith('Lemon Squeezy', subscriptionEvent, payload, fromSubscription);
    case 'subscription_payment_success':
      return normalizeWith('Lemon Squeezy', invoiceEvent, payload, fromInvoice);
    case 'subscription_payment_refunded':
      return normalizeWith('Lemon Squeezy', refundedInvoiceEvent, payload, fromRefundedInvoice);
    case undefined:
      return normalizeWith('Lemon Squeezy', eventName, payload, () => null);
    default:
      return null;
  }
}

/** {@link normalizeLemonSqueezyEvent} returning `{ success, data | error }` instead of throwing. */
export const safeNormalizeLemonSqueezyEvent = safeVariant(normalizeLemonSqueezyEvent);

type Parsed =
  | z.infer<typeof orderEvent>
  | z.infer<typeof subscriptionEvent>
  | z.infer<typeof invoiceEvent>
  | z.infer<typeof refundedInvoiceEvent>;
type Fields = Pick<Purchase, 'saleId' | 'productId' | 'productName' | 'amount' | 'currency'> &
  Partial<Purchase>;

function toEvent(
  parsed: Parsed,
  type: PurchaseEventType,
  fields: Fields,
  occurredAt?: string | null,
): PurchaseEvent {
  const { meta, data } = parsed;
  const attributes = data.attributes;
  const purchase: Purchase = {
    source: 'lemonsqueezy',
    customerName: attributes.user_name ?? '',
    customerId: attributes.customer_id ?? null,
    tier: null,
    quantity: 1,
    purchasedAt: attributes.created_at,
    isTest: meta.test_mode ?? attributes.test_mode ?? false,
    isRecurring: false,
    subscriptionId: null,
    sourceLicenseKey: null,
    ...fields,
    email: attributes.user_email.trim().toLowerCase(),
    currency: fields.currency.toUpperCase(),
  };
  return {
    type,
    eventId: `lemonsqueezy:${meta.event_name}:${data.id}:${attributes.updated_at}`,
    occurredAt: occurredAt ?? attributes.updated_at,
    purchase,
  };
}

function fromOrder(parsed: z.infer<typeof orderEvent>): PurchaseEvent | null {
  const order = parsed.data.attributes;
  const item = order.first_order_item;
  const product = {
    productId: item.product_id,
    productName: item.product_name,
    tier: item.variant_name ?? null,
    quantity: item.quantity ?? 1,
    currency: order.currency,
  };
  if (parsed.meta.event_name === 'order_created') {
    if (order.status !== 'paid') return null;
    return toEvent(parsed, 'sale', { ...product, saleId: parsed.data.id, amount: order.total });
  }
  return refundOf(parsed, order, {
    ...product,
    saleId: parsed.data.id,
    amount: order.refunded_amount ?? order.total,
  });
}

/**
 * The refund event of an order or invoice (`paid`): `refund` or `partial_refund` (see
 * {@link refundType}), occurred at `refunded_at`, with `refundTotal` naming the order or invoice
 * (`<data.type>/<data.id>`), since `refunded_amount` is the running total, not this refund's share.
 */
function refundOf(
  parsed: Parsed,
  paid: z.output<z.ZodObject<typeof payment>>,
  fields: Fields,
): PurchaseEvent {
  const event = toEvent(parsed, refundType(paid), fields, paid.refunded_at);
  // JSON:API ids are unique within their type only: an order and an invoice may both be "42".
  const payment = `${parsed.data.type}/${parsed.data.id}`;
  return { ...event, refundTotal: { payment, amount: fields.amount } };
}

/** `refund` when an order or invoice is refunded in full, else `partial_refund`. */
function refundType(paid: z.output<z.ZodObject<typeof payment>>): 'refund' | 'partial_refund' {
  const refunded = paid.refunded_amount ?? paid.total;
  return paid.refunded === true || paid.status === 'refunded' || refunded >= paid.total
    ? 'refund'
    : 'partial_refund';
}

function fromSubscription(parsed: z.infer<typeof subscriptionEvent>): PurchaseEvent {
  const subscription = parsed.data.attributes;
  return toEvent(parsed, subscriptionTypes[parsed.meta.event_name], {
    saleId: subscription.order_id,
    productId: subscription.product_id,
    productName: subscription.product_name,
    tier: subscription.variant_name ?? null,
    quantity: subscription.first_subscription_item?.quantity ?? 1,
    amount: 0,
    currency: 'XXX',
    isRecurring: true,
    subscriptionId: parsed.data.id,
  });
}

function fromInvoice(parsed: z.infer<typeof invoiceEvent>): PurchaseEvent | null {
  const invoice = parsed.data.attributes;
  if (invoice.billing_reason !== 'renewal') return null;
  return toEvent(parsed, 'renewal', {
    saleId: invoice.subscription_id,
    productId: unknownProductId,
    productName: '',
    amount: invoice.total,
    currency: invoice.currency,
    isRecurring: true,
    subscriptionId: invoice.subscription_id,
  });
}

function fromRefundedInvoice(parsed: z.infer<typeof refundedInvoiceEvent>): PurchaseEvent {
  const invoice = parsed.data.attributes;
  return refundOf(parsed, invoice, {
    saleId: invoice.subscription_id,
    productId: unknownProductId,
    productName: '',
    amount: invoice.refunded_amount ?? invoice.total,
    currency: invoice.currency,
    isRecurring: true,
    subscriptionId: invoice.subscription_id,
  });
}
