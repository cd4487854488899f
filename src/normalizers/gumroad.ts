import { z } from 'zod';
import { emailAddressPattern } from '../domain/_schema-parts.js';
import type { PurchaseEvent, PurchaseEventType } from '../domain/purchase.js';
import { storeTimestamp } from './_iso-utc.js';
import { normalizeWith, type SafeNormalizeResult, safeVariant } from './_normalize.js';

/**
 * A Gumroad ping as its form fields: every value is a string and nested keys stay flat, as
 * `URLSearchParams` decodes them (`variants[Tier]`, `custom_fields[Company]`, `card[type]`).
 */
export type GumroadPingFields = Readonly<Record<string, string>> | URLSearchParams;

/** Sale-shaped resources: the sale's own fields with a flag flipped. */
const saleTypes = new Map<string, PurchaseEventType>([
  ['sale', 'sale'],
  ['refund', 'refund'],
  ['dispute', 'dispute'],
  ['dispute_won', 'dispute_won'],
]);

/** Subscription-shaped resources, with the field that says when each happened. */
const subscriptionTypes = new Map<string, { type: PurchaseEventType; at: SubscriptionTimeField }>([
  ['cancellation', { type: 'cancellation', at: 'cancelled_at' }],
  ['subscription_ended', { type: 'subscription_ended', at: 'ended_at' }],
  ['subscription_restarted', { type: 'subscription_restarted', at: 'restarted_at' }],
]);
type SubscriptionTimeField = 'cancelled_at' | 'ended_at' | 'restarted_at';

/** ISO 4217 "no currency involved": subscription pings carry no money. */
const noCurrency = 'XXX';

/** Gumroad sends `nil` as an empty value; treat it as absent. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
const required = z.string().trim().min(1, 'required');
const flag = z
  .string()
  .optional()
  .transform((value) => value === 'true');
const email = z.string().trim().toLowerCase().regex(emailAddressPattern, 'expected one email address');

const saleSchema = z.looseObject({
  sale_id: required,
  product_id: required,
  product_name: z.string().default(''),
  email,
  full_name: z.string().default(''),
  purchaser_id: optional(z.string()),
  price: z.string().regex(/^\d+$/, 'expected an amount in cents').transform(Number),
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'expected a three-letter currency code')
    .transform((code) => code.toUpperCase()),
  quantity: optional(
    z
      .string()
      .regex(/^[1-9]\d*$/, 'expected a positive integer')
      .transform(Number),
  ),
  sale_timestamp: storeTimestamp,
  subscription_id: optional(z.string()),
  is_recurring_charge: flag,
  license_key: optional(z.string()),
  refunded: z
    .string()
    .optional()
    .transform((value) => (value === undefined ? undefined : value === 'true')),
  test: flag,
});

const subscriptionSchema = z.looseObject({
  subscription_id: required,
  product_id: required,
  product_name: z.string().default(''),
  user_email: email,
  user_id: optional(z.string()),
  created_at: storeTimestamp,
  cancelled_at: optional(storeTimestamp),
  ended_at: optional(storeTimestamp),
  restarted_at: optional(storeTimestamp),
  license_key: optional(z.string()),
  test: flag,
});

/**
 * Turns a Gumroad ping into a purchase event (`null` for a resource that is not about licenses).
 *
 * - `resource_name` `sale` (the default when absent: the seller's Ping URL sends only sales) is a
 *   `sale`, or a `renewal` when `is_recurring_charge=true` (Gumroad sets it on every membership charge
 *   after the first); a sale ping that already says `refunded=true` is that sale's `refund` (same
 *   event id as the refund ping, so no license is issued for a refunded sale). `refund`, `dispute`
 *   and `dispute_won` map to the same types, with the sale's `price` as the amount, except that a
 *   `refund` ping with `refunded=false` is a `partial_refund`: Gumroad pings partial refunds too,
 *   without saying how much was refunded, so its amount is 0 (look it up in Gumroad). Its event id
 *   ends in `partial_refund`, so the later full refund is not taken for a redelivery; a second
 *   partial refund of one sale is (Gumroad's ping carries nothing that tells the two apart).
 * - `cancellation`, `subscription_ended` and `subscription_restarted` map to the same types;
 *   `subscription_updated` (an upgrade or downgrade) is `null`: it changes no license's validity.
 *   Other resource names are `null` too.
 * - Sale-shaped pings: `saleId` = `sale_id`, `amount` = `price` (minor units of `currency`, upper-cased),
 *   `tier` = `variants[Tier]`, else the chosen variants joined with `, `, `sourceLicenseKey` =
 *   `license_key`, `isTest` = `test=true`, `isRecurring` when there is a `subscription_id`;
 *   `eventId` = `gumroad:<sale_id>:<resource_name>`, `occurredAt` = `sale_timestamp` (Gumroad sends no
 *   time for refunds or disputes).
 * - Subscription pings carry no sale id and no money: `saleId` = `subscription_id`, `amount` 0 in
 *   `XXX` (ISO 4217 "no currency"), `email` = `user_email`, `purchasedAt` = `created_at`,
 *   `occurredAt` = `cancelled_at` / `ended_at` / `restarted_at` when present; `eventId` =
 *   `gumroad:<subscription_id>:<resource_name>:<that time>` so a second cancellation after a restart
 *   is not mistaken for a redelivery.
 *
 * Extra keys (`custom_fields[…]`, card, shipping, `offer_code`, …) are ignored and `retry_count` never
 * changes the event id. Missing or malformed fields are a `NormalizationError` listing the issues.
 */
export function normalizeGumroadPing(fields: GumroadPingFields): PurchaseEvent | null {
  const record: unknown = fields instanceof URLSearchParams ? Object.fromEntries(fields) : fields;
  const resource = resourceName(record);
  const saleType = saleTypes.get(resource);
  if (saleType !== undefined) {
    return normalizeWith('Gumroad', saleSchema, record, (ping) => fromSale(ping, resource, saleType));
  }
  const subscription = subscriptionTypes.get(resource);
  if (subscription === undefined) return null;
  return normalizeWith('Gumroad', subscriptionSchema, record, (ping) =>
    fromSubscription(ping, resource, subscription.type, ping[subscription.at]),
  );
}

/** {@link normalizeGumroadPing} returning `{ success, data | error }` instead of throwing. */
export const safeNormalizeGumroadPing: (fields: GumroadPingFields) => SafeNormalizeResult =
  safeVariant(normalizeGumroadPing);

function resourceName(record: unknown): string {
  const value =
    typeof record === 'object' && record !== null ? Reflect.get(record, 'resource_name') : undefined;
  return typeof value === 'string' && value !== '' ? value : 'sale';
}

function fromSale(
  ping: z.output<typeof saleSchema>,
  resource: string,
  wireType: PurchaseEventType,
): PurchaseEvent {
  const refundedSale = resource === 'sale' && ping.refunded === true;
  // Gumroad pings `refund` for partial refunds too, with `refunded=false` and no amount.
  const partialRefund = resource === 'refund' && ping.refunded === false;
  const type = refundedSale
    ? 'refund'
    : partialRefund
      ? 'partial_refund'
      : wireType === 'sale' && ping.is_recurring_charge
        ? 'renewal'
        : wireType;
  return {
    type,
    eventId: `gumroad:${ping.sale_id}:${refundedSale ? 'refund' : partialRefund ? type : resource}`,
    occurredAt: ping.sale_timestamp,
    purchase: {
      source: 'gumroad',
      saleId: ping.sale_id,
      email: ping.email,
      customerName: ping.full_name.trim(),
      customerId: ping.purchaser_id ?? null,
      productId: ping.product_id,
      productName: ping.product_name,
      tier: tierOf(ping),
      amount: partialRefund ? 0 : ping.price,
      currency: ping.currency,
      quantity: ping.quantity ?? 1,
      purchasedAt: ping.sale_timestamp,
      isTest: ping.test,
      isRecurring: ping.subscription_id !== undefined,
      subscriptionId: ping.subscription_id ?? null,
      sourceLicenseKey: ping.license_key ?? null,
    },
  };
}

function fromSubscription(
  ping: z.output<typeof subscriptionSchema>,
  resource: string,
  type: PurchaseEventType,
  happenedAt: string | undefined,
): PurchaseEvent {
  return {
    type,
    eventId: `gumroad:${ping.subscription_id}:${resource}${happenedAt === undefined ? '' : `:${happenedAt}`}`,
    occurredAt: happenedAt ?? ping.created_at,
    purchase: {
      source: 'gumroad',
      saleId: ping.subscription_id,
      email: ping.user_email,
      customerName: '',
      customerId: ping.user_id ?? null,
      productId: ping.product_id,
      productName: ping.product_name,
      tier: null,
      amount: 0,
      currency: noCurrency,
      quantity: 1,
      purchasedAt: ping.created_at,
      isTest: ping.test,
      isRecurring: true,
      subscriptionId: ping.subscription_id,
      sourceLicenseKey: ping.license_key ?? null,
    },
  };
}

/** `variants[Tier]` (a tiered membership), else every chosen variant's value, in order. */
function tierOf(ping: Record<string, unknown>): string | null {
  const variants = Object.entries(ping).filter(
    (entry): entry is [string, string] =>
      entry[0].startsWith('variants[') &&
      entry[0].endsWith(']') &&
      typeof entry[1] === 'string' &&
      entry[1] !== '',
  );
  const tier = variants.find(([key]) => key.toLowerCase() === 'variants[tier]');
  if (tier !== undefined) return tier[1];
  return variants.length === 0 ? null : variants.map(([, value]) => value).join(', ');
}
