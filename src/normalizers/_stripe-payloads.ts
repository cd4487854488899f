import { z } from 'zod';

// The Stripe Events `normalizeStripeEvent` reads, as zod schemas of just the fields it uses.

const id = z.string().min(1);
const nullableId = id.nullish().transform((value) => value ?? null);
const amount = z.int().min(0);
const currency = z.string().regex(/^[a-zA-Z]{3}$/, 'expected an ISO 4217 currency code');
const metadata = z
  .looseObject({
    product_id: z.string().optional(),
    product_name: z.string().optional(),
    tier: z.string().optional(),
  })
  .nullish();

/** `metadata` as parsed: the product and tier keys licensekit reads. */
export type Metadata = z.infer<typeof metadata>;

/** An Event envelope whose `type` is one of `types` and whose `data.object` matches `object`. */
const event = <O extends z.ZodType>(types: readonly [string, ...string[]], object: O) =>
  z.object({
    id,
    type: z.enum(types),
    created: z.int().min(0),
    livemode: z.boolean(),
    data: z.object({
      object,
      previous_attributes: z.object({ amount_refunded: amount.optional() }).optional(),
    }),
  });

/** `checkout.session.completed` and `checkout.session.async_payment_succeeded`. */
export const checkoutEvent = event(
  ['checkout.session.completed', 'checkout.session.async_payment_succeeded'],
  z.looseObject({
    id,
    mode: z.string(),
    payment_status: z.string(),
    amount_total: amount.nullish(),
    currency: currency.nullish(),
    customer: nullableId,
    customer_email: z.string().nullish(),
    customer_details: z.object({ email: z.string().nullish(), name: z.string().nullish() }).nullish(),
    metadata,
    client_reference_id: z.string().nullish(),
    payment_intent: nullableId,
    subscription: nullableId,
  }),
);

/** `charge.refunded`. */
export const chargeEvent = event(
  ['charge.refunded'],
  z.object({
    id,
    amount,
    amount_refunded: amount,
    currency,
    customer: nullableId,
    payment_intent: nullableId,
    billing_details: z.object({ email: z.string().nullish(), name: z.string().nullish() }).nullish(),
    receipt_email: z.string().nullish(),
    /** API versions before 2025-03-31: the invoice the charge paid, `null` for none; absent since. */
    invoice: z.string().nullish(),
    metadata,
  }),
);

/** `charge.dispute.created` and `charge.dispute.closed`. */
export const disputeEvent = event(
  ['charge.dispute.created', 'charge.dispute.closed'],
  z.object({ id, amount, currency, charge: id, payment_intent: nullableId, status: z.string(), metadata }),
);

const subscriptionDetails = z.object({ subscription: nullableId, metadata }).nullish();

/** `invoice.paid`. */
export const invoiceEvent = event(
  ['invoice.paid'],
  z.object({
    id,
    billing_reason: z.string().nullish(),
    amount_paid: amount,
    currency,
    customer: nullableId,
    customer_email: z.string().nullish(),
    customer_name: z.string().nullish(),
    subscription: nullableId,
    subscription_details: subscriptionDetails,
    parent: z.object({ subscription_details: subscriptionDetails }).nullish(),
  }),
);

/** `customer.subscription.deleted`. */
export const subscriptionEvent = event(
  ['customer.subscription.deleted'],
  z.object({ id, customer: nullableId, currency, metadata }),
);

/** Any Event: what a payload without a `type` is checked against, to list its issues. */
export const anyEvent = z.object({ id, type: z.string() });

/** A parsed {@link checkoutEvent}. */
export type Checkout = z.infer<typeof checkoutEvent>;
/** A parsed {@link chargeEvent}. */
export type Charge = z.infer<typeof chargeEvent>;
/** A parsed {@link disputeEvent}. */
export type Dispute = z.infer<typeof disputeEvent>;
/** A parsed {@link invoiceEvent}. */
export type Invoice = z.infer<typeof invoiceEvent>;
/** A parsed {@link subscriptionEvent}. */
export type Subscription = z.infer<typeof subscriptionEvent>;
