import { z } from 'zod';
import { storeTimestamp } from './_iso-utc.js';

// The Paddle Billing notifications `normalizePaddleEvent` reads, as zod schemas of just the fields it uses.

const id = z.string().min(1);
const minorUnits = z
  .string()
  .regex(/^\d{1,15}$/, 'expected an amount in minor units as a string of digits')
  .transform(Number);
const currency = z.string().regex(/^[a-zA-Z]{3}$/, 'expected an ISO 4217 currency code');
const customData = z
  .looseObject({
    email: z.string().optional().catch(undefined),
    name: z.string().optional().catch(undefined),
  })
  .nullish();

/** `custom_data` as parsed: the buyer's email and name when the checkout passed them. */
export type Buyer = z.infer<typeof customData>;

const item = z.object({
  price: z.object({ product_id: id, name: z.string().nullish() }),
  product: z.object({ name: z.string().nullish() }).nullish(),
  quantity: z.int().min(1),
});

/** A notification whose `event_type` is one of `types` and whose `data` matches `data`. */
const envelope = <D extends z.ZodType>(types: readonly [string, ...string[]], data: D) =>
  z.object({ event_id: id, event_type: z.enum(types), occurred_at: storeTimestamp, data });

/** `transaction.completed`. */
export const transactionEvent = envelope(
  ['transaction.completed'],
  z.object({
    id,
    customer_id: id.nullish(),
    custom_data: customData,
    currency_code: currency,
    origin: z.string(),
    subscription_id: id.nullish(),
    billed_at: storeTimestamp.nullish(),
    items: z.tuple([item], item),
    details: z.object({
      totals: z.object({ total: minorUnits, grand_total: minorUnits.optional() }),
      line_items: z
        .array(z.object({ product: z.object({ name: z.string().nullish() }).nullish() }))
        .optional(),
    }),
  }),
);

/** `adjustment.created` and `adjustment.updated`. */
export const adjustmentEvent = envelope(
  ['adjustment.created', 'adjustment.updated'],
  z.object({
    id,
    action: z.string(),
    type: z.string().nullish(),
    status: z.string(),
    transaction_id: id,
    subscription_id: id.nullish(),
    customer_id: id.nullish(),
    currency_code: currency,
    totals: z.object({ total: minorUnits }),
    items: z.array(z.object({ type: z.string().nullish() })).nullish(),
  }),
);

/** `subscription.canceled`. */
export const subscriptionEvent = envelope(
  ['subscription.canceled'],
  z.object({
    id,
    customer_id: id.nullish(),
    custom_data: customData,
    currency_code: currency,
    items: z.tuple([item], item),
  }),
);

/** Any notification: what a payload without an `event_type` is checked against, to list its issues. */
export const anyNotification = z.object({ event_id: id, event_type: z.string() });

/** The customer of a `transaction.completed`, for `paddleCustomerToResolve`. */
export const transactionCustomer = z.object({
  event_type: z.literal('transaction.completed'),
  data: z.object({ origin: z.string(), customer_id: id }),
});

/** A parsed {@link transactionEvent}. */
export type Transaction = z.infer<typeof transactionEvent>;
/** A parsed {@link adjustmentEvent}. */
export type Adjustment = z.infer<typeof adjustmentEvent>;
/** A parsed {@link subscriptionEvent}. */
export type Subscription = z.infer<typeof subscriptionEvent>;
