import { hmacSha256Hex } from '../../webhooks/_crypto.js';
import {
  concat,
  defaultUrl,
  post,
  randomId,
  requireSecret,
  type TimestampedWebhookRequestOptions,
  toBytes,
  unixSeconds,
  utf8,
  type WebhookBody,
} from './_shared.js';

/**
 * A Stripe webhook `Request` with a valid `Stripe-Signature` (`t=<seconds>,v1=<HMAC-SHA256 of
 * "<t>.<body>">`) for `secret`, posted as `application/json`. Pass it to `stripe({ signingSecret })`
 * or to your handler. The body is exactly the bytes signed.
 */
export async function stripeWebhookRequest(
  event: WebhookBody,
  secret: string,
  options: TimestampedWebhookRequestOptions = {},
): Promise<Request> {
  const body = toBytes(event);
  const t = unixSeconds(options.timestamp, 'timestamp');
  const signature = await hmacSha256Hex(requireSecret(secret, 'stripe'), concat(utf8(`${t}.`), body));
  return post(
    options.url ?? defaultUrl('stripe'),
    { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': `t=${t},v1=${signature}` },
    body,
    options.headers,
  );
}

/** A Stripe Event envelope, as {@link stripeEvent} builds it. */
export interface StripeTestEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  livemode: boolean;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  type: string;
  data: { object: Record<string, unknown> };
}

/** Options of {@link stripeEvent}. */
export interface StripeEventOptions {
  /** The event `id`. Default: a random `evt_test_…`. */
  eventId?: string;
  /** When the event was created, as a `Date` or Unix seconds. Default: now. */
  created?: Date | number;
  /**
   * Default `true`: the normalizer marks `livemode: false` events as test purchases, which the
   * manager records without issuing a license unless `processTestPurchases` is set.
   */
  livemode?: boolean;
}

/**
 * A Stripe Event of `type` around `object` (its `data.object`), e.g. a refund:
 * `stripeEvent('charge.refunded', { id: 'ch_1', amount: 1000, amount_refunded: 1000, currency: 'usd', payment_intent: 'pi_1', … })`.
 */
export function stripeEvent(
  type: string,
  object: Record<string, unknown>,
  options: StripeEventOptions = {},
): StripeTestEvent {
  return {
    id: options.eventId ?? randomId('evt_test_'),
    object: 'event',
    api_version: '2025-03-31.basil',
    created: unixSeconds(options.created, 'created'),
    livemode: options.livemode ?? true,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

/** Input of {@link stripeCheckoutCompletedEvent}. */
export interface StripeCheckoutCompletedInput extends StripeEventOptions {
  email: string;
  /** Sent as the session's `metadata.product_id`. */
  productId: string;
  /** `amount_total` in minor units. Default 1000. */
  amount?: number;
  /** Default `usd`. */
  currency?: string;
  /** The payment intent, the sale id in payment mode. Default: a random `pi_test_…`. */
  paymentIntent?: string;
  /** Makes it a subscription-mode session for this subscription (the sale id then), without a payment intent. */
  subscription?: string;
  customerName?: string;
}

/**
 * A paid `checkout.session.completed` Event. For a delayed payment method, reuse its session:
 * `stripeEvent('checkout.session.async_payment_succeeded', completed.data.object)`.
 */
export function stripeCheckoutCompletedEvent(input: StripeCheckoutCompletedInput): StripeTestEvent {
  const subscription = input.subscription ?? null;
  const amount = input.amount ?? 1000;
  return stripeEvent(
    'checkout.session.completed',
    {
      id: randomId('cs_test_'),
      object: 'checkout.session',
      mode: subscription === null ? 'payment' : 'subscription',
      status: 'complete',
      payment_status: 'paid',
      amount_subtotal: amount,
      amount_total: amount,
      currency: input.currency ?? 'usd',
      customer: null as string | null,
      customer_email: null as string | null,
      customer_details: { email: input.email, name: input.customerName ?? null },
      metadata: { product_id: input.productId },
      payment_intent: subscription === null ? (input.paymentIntent ?? randomId('pi_test_')) : null,
      subscription,
    },
    input,
  );
}
