import { z } from 'zod';
import { emailAddressPattern } from '../domain/_schema-parts.js';
import { parseDecimalToMinorUnits } from '../domain/currency.js';
import { NormalizationError } from '../domain/errors.js';
import {
  type Purchase,
  type PurchaseEvent,
  type PurchaseEventType,
  unknownProductId,
} from '../domain/purchase.js';
import { storeTimestamp } from './_iso-utc.js';
import { normalizeWith, type SafeNormalizeResult, safeVariant } from './_normalize.js';

const required = z.string().trim().min(1, 'required');
const money = z.looseObject({
  currency_code: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'expected a three-letter currency code')
    .transform((code) => code.toUpperCase()),
  value: z.string(),
});
const links = z.array(z.looseObject({ href: z.string(), rel: z.string().optional() })).default([]);
const payer = z.looseObject({
  email_address: z.string().optional(),
  payer_id: z.string().optional(),
  name: z.looseObject({ given_name: z.string().optional(), surname: z.string().optional() }).optional(),
});

const capture = z.looseObject({
  id: required,
  amount: money,
  custom_id: z.string().optional(),
  create_time: storeTimestamp.optional(),
  payer: payer.optional(),
  links,
});
const refund = z.looseObject({ id: required, amount: money, custom_id: z.string().optional(), links });
const dispute = z.looseObject({
  dispute_id: required,
  dispute_amount: money.optional(),
  disputed_transactions: z
    .array(
      z.looseObject({
        seller_transaction_id: required,
        custom: z.string().optional(),
        create_time: storeTimestamp.optional(),
        gross_amount: money.optional(),
        buyer: z.looseObject({ email: z.string().optional(), name: z.string().optional() }).optional(),
      }),
    )
    .min(1, 'expected the disputed transaction'),
  dispute_outcome: z
    .looseObject({ outcome_code: z.string().optional(), amount_refunded: money.optional() })
    .optional(),
  links,
});

const envelope = <T extends z.ZodType>(resource: T) =>
  z.looseObject({ id: required, event_type: z.string(), create_time: storeTimestamp, links, resource });
const captureEvent = envelope(capture);
const refundEvent = envelope(refund);
const disputeEvent = envelope(dispute);

/** Outcome codes of a resolved dispute, by who kept the money. */
const sellerWon = new Set(['RESOLVED_SELLER_FAVOUR', 'RESOLVED_WITH_PAYOUT', 'CANCELED_BY_BUYER', 'DENIED']);
const buyerWon = new Set(['RESOLVED_BUYER_FAVOUR', 'ACCEPTED']);

/**
 * Turns a PayPal REST webhook event (parsed JSON) into a purchase event; `null` for other event types.
 *
 * - `PAYMENT.CAPTURE.COMPLETED` → `sale`: `saleId` = the capture id, `amount` = `amount.value` in
 *   minor units of `amount.currency_code`, `purchasedAt` = the capture's `create_time`.
 * - `PAYMENT.CAPTURE.REFUNDED` → `refund` of the capture its `up` link names, `amount` = this refund's
 *   amount. The refund resource never carries the captured amount, so a partial refund cannot be told
 *   apart from a full one; it is reported as a full `refund` (PayPal's default when refunding) and
 *   the seller reinstates a goodwill partial refund by hand.
 * - `CUSTOMER.DISPUTE.CREATED` → `dispute`; `CUSTOMER.DISPUTE.RESOLVED` → `dispute_lost` when the buyer
 *   kept the money (`RESOLVED_BUYER_FAVOUR`, `ACCEPTED`), `dispute_won` when the seller did
 *   (`RESOLVED_SELLER_FAVOUR`, `RESOLVED_WITH_PAYOUT`, `CANCELED_BY_BUYER`, `DENIED`), `null` otherwise.
 *   `saleId` = the disputed transaction's `seller_transaction_id` (the capture id).
 * - `eventId` = the event `id` (`WH-…`), `occurredAt` = its `create_time`; `isTest` when the event's
 *   links point at `sandbox.paypal.com`.
 *
 * Captures carry no buyer email and no product, so they come from the order's `custom_id` (echoed in
 * captures, perhaps in refunds, and as `custom` in disputes), written as form fields:
 * `product=<product id>&email=<buyer email>`, optionally `&tier=…&quantity=…&name=…` (127 characters
 * at most). A `custom_id` without `=` is taken as the product id alone. The email falls back to
 * `payer.email_address` or the dispute's `buyer.email`; `invoice_id` is never used, because PayPal
 * requires it to be unique per payment. `productName` is the product id. A sale without a product
 * or an email is a `NormalizationError` listing the issues; a refund or dispute without them (a refund
 * made in PayPal's dashboard has no `custom_id`) is filed under `'unknown'` with no email, and a
 * refund's `custom_id` counts only as form fields (a bare one is the refund's own reference).
 */
export function normalizePayPalEvent(payload: unknown): PurchaseEvent | null {
  const type =
    typeof payload === 'object' && payload !== null ? Reflect.get(payload, 'event_type') : undefined;
  switch (type) {
    case 'PAYMENT.CAPTURE.COMPLETED':
      return normalizeWith('PayPal', captureEvent, payload, (event) => ({
        ...head('sale', event),
        purchase: purchaseOf(event, {
          saleId: event.resource.id,
          money: event.resource.amount,
          moneyPath: 'resource.amount',
          custom: { path: 'resource.custom_id', text: event.resource.custom_id },
          purchasedAt: event.resource.create_time ?? event.create_time,
          email: event.resource.payer?.email_address,
          name: payerName(event.resource.payer?.name),
          customerId: event.resource.payer?.payer_id,
        }),
      }));
    case 'PAYMENT.CAPTURE.REFUNDED':
      return normalizeWith('PayPal', refundEvent, payload, (event) => ({
        ...head('refund', event),
        purchase: purchaseOf(event, {
          saleId: refundedCaptureId(event.resource.links),
          money: event.resource.amount,
          moneyPath: 'resource.amount',
          // A refund's own custom_id (set by the refund's API caller) is no product id: only the
          // order's form fields, if PayPal echoes them, name the product.
          custom: { path: 'resource.custom_id', text: formFields(event.resource.custom_id) },
          purchasedAt: event.create_time,
        }),
      }));
    case 'CUSTOMER.DISPUTE.CREATED':
    case 'CUSTOMER.DISPUTE.RESOLVED':
      return normalizeWith('PayPal', disputeEvent, payload, fromDispute);
    default:
      return null;
  }
}

/** {@link normalizePayPalEvent} returning `{ success, data | error }` instead of throwing. */
export const safeNormalizePayPalEvent: (payload: unknown) => SafeNormalizeResult =
  safeVariant(normalizePayPalEvent);

type Envelope = z.output<ReturnType<typeof envelope>>;
type Money = z.output<typeof money>;

function head(type: PurchaseEventType, event: Envelope) {
  return { type, eventId: event.id, occurredAt: event.create_time };
}

function fromDispute(event: z.output<typeof disputeEvent>): PurchaseEvent | null {
  const { resource } = event;
  const transaction = resource.disputed_transactions[0]!;
  let type: PurchaseEventType = 'dispute';
  if (event.event_type === 'CUSTOMER.DISPUTE.RESOLVED') {
    const outcome = resource.dispute_outcome?.outcome_code ?? '';
    if (!sellerWon.has(outcome) && !buyerWon.has(outcome)) return null;
    type = sellerWon.has(outcome) ? 'dispute_won' : 'dispute_lost';
  }
  const refunded = type === 'dispute_lost' ? resource.dispute_outcome?.amount_refunded : undefined;
  const disputed = refunded ?? resource.dispute_amount ?? transaction.gross_amount;
  if (disputed === undefined) fail('resource.dispute_amount', 'expected the disputed amount');
  return {
    ...head(type, event),
    purchase: purchaseOf(event, {
      saleId: transaction.seller_transaction_id,
      money: disputed,
      moneyPath: 'resource.dispute_amount',
      custom: { path: 'resource.disputed_transactions.0.custom', text: transaction.custom },
      purchasedAt: transaction.create_time ?? event.create_time,
      email: transaction.buyer?.email,
      name: transaction.buyer?.name,
    }),
  };
}

/** What a purchase is built from; `email`, `name` and `customerId` are the payload's own, if any. */
interface PurchaseParts {
  saleId: string;
  money: Money;
  /** Where `money` sits, for the issue when it is not an amount. */
  moneyPath: string;
  custom: { path: string; text: string | undefined };
  purchasedAt: string;
  email?: string | undefined;
  name?: string | undefined;
  customerId?: string | undefined;
}

/**
 * The purchase of an event. Only a sale needs a product and an email (it makes the license); a
 * refund or dispute finds its license by the capture id, so without them it is filed under
 * `'unknown'` with no email, as a refund made in PayPal's dashboard (no `custom_id`) is.
 */
function purchaseOf(event: Envelope, parts: PurchaseParts): Purchase {
  const custom = parseCustomId(parts.custom.text);
  const isSale = event.event_type === 'PAYMENT.CAPTURE.COMPLETED';
  const productId = custom.get('product')?.trim() || (isSale ? '' : unknownProductId);
  if (!productId) fail(parts.custom.path, 'expected product=<product id> in the order’s custom_id');
  let email = (custom.get('email') ?? parts.email ?? '').trim().toLowerCase();
  if (!emailAddressPattern.test(email)) {
    if (isSale) {
      fail(parts.custom.path, 'expected email=<buyer email> in the order’s custom_id');
    }
    email = '';
  }
  const quantity = custom.get('quantity') ?? '1';
  if (!/^[1-9]\d*$/.test(quantity)) fail(parts.custom.path, 'expected quantity to be a positive integer');
  return {
    source: 'paypal',
    saleId: parts.saleId,
    email,
    customerName: (custom.get('name') ?? parts.name ?? '').trim(),
    customerId: parts.customerId || null,
    productId,
    productName: productId,
    tier: custom.get('tier') ?? null,
    amount: minorUnits(parts.money, parts.moneyPath),
    currency: parts.money.currency_code,
    quantity: Number(quantity),
    purchasedAt: parts.purchasedAt,
    isTest: isSandbox(event),
    isRecurring: false,
    subscriptionId: null,
    sourceLicenseKey: null,
  };
}

function payerName(name: { given_name?: string | undefined; surname?: string | undefined } | undefined) {
  return [name?.given_name, name?.surname].filter(Boolean).join(' ') || undefined;
}

function minorUnits(money: Money, path: string): number {
  try {
    return parseDecimalToMinorUnits(money.value, money.currency_code);
  } catch {
    return fail(path, `"${money.value}" is not an amount in ${money.currency_code}`);
  }
}

/** `text` when it is written as form fields (`a=b&c=d`). */
function formFields(text: string | undefined): string | undefined {
  return text?.includes('=') ? text : undefined;
}

/** The `custom_id` convention: form fields, or a bare product id. */
function parseCustomId(text: string | undefined): URLSearchParams {
  if (text === undefined || text.trim() === '') return new URLSearchParams();
  return text.includes('=') ? new URLSearchParams(text) : new URLSearchParams({ product: text });
}

function refundedCaptureId(refundLinks: z.output<typeof links>): string {
  for (const link of refundLinks) {
    const match = link.rel === 'up' ? /\/v2\/payments\/captures\/([^/?#]+)/.exec(link.href) : null;
    if (match) return match[1]!;
  }
  return fail('resource.links', 'expected an "up" link to the refunded capture');
}

function isSandbox(event: Envelope): boolean {
  return event.links.some((link) =>
    /^(?:https?:\/\/)?[^/?#]*\bsandbox\.paypal\.com(?:[/?#:]|$)/i.test(link.href),
  );
}

function fail(path: string, message: string): never {
  throw new NormalizationError(
    'NORMALIZATION_FAILED',
    'the PayPal payload is not a purchase event we understand',
    {
      issues: [{ path, message }],
    },
  );
}
