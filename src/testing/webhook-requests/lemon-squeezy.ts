import { hmacSha256Hex } from '../../webhooks/_crypto.js';
import {
  defaultUrl,
  isoOf,
  post,
  randomNumber,
  requireSecret,
  toBytes,
  type WebhookBody,
  type WebhookRequestOptions,
} from './_shared.js';

/** Options of {@link lemonSqueezyWebhookRequest}. */
export interface LemonSqueezyWebhookRequestOptions extends WebhookRequestOptions {
  /** The `X-Event-Name` header. Default: the payload's `meta.event_name`. */
  eventName?: string;
}

/**
 * A Lemon Squeezy webhook `Request` with a valid `X-Signature` (hex HMAC-SHA256 of the raw body) for
 * `secret` and the `X-Event-Name` header, posted as `application/json`.
 */
export async function lemonSqueezyWebhookRequest(
  payload: WebhookBody,
  secret: string,
  options: LemonSqueezyWebhookRequestOptions = {},
): Promise<Request> {
  const body = toBytes(payload);
  const signature = await hmacSha256Hex(requireSecret(secret, 'lemonSqueezy'), body);
  const eventName = options.eventName ?? eventNameOf(payload);
  return post(
    options.url ?? defaultUrl('lemonsqueezy'),
    {
      'content-type': 'application/json',
      'x-signature': signature,
      ...(eventName === undefined ? {} : { 'x-event-name': eventName }),
    },
    body,
    options.headers,
  );
}

/** Input of {@link lemonSqueezyOrderCreatedEvent}. */
export interface LemonSqueezyOrderInput {
  email: string;
  /** `first_order_item.product_id` (Lemon Squeezy sends a number). */
  productId: number | string;
  productName?: string;
  /** The variant's name, which becomes the tier. */
  variantName?: string;
  /** `total` in minor units. Default 1000. */
  total?: number;
  /** Default `USD`. */
  currency?: string;
  /** `data.id`, the sale id. Default: a random number. */
  orderId?: string | number;
  customerName?: string;
  /** `created_at` and `updated_at`. Default: now. */
  createdAt?: Date | string;
  /** Marks a test-mode order. Default false. */
  testMode?: boolean;
}

/**
 * The body of a paid Lemon Squeezy `order_created` webhook (JSON:API). Its refund: the same order
 * with `meta.event_name: 'order_refunded'`, `status: 'refunded'`, `refunded: true`,
 * `refunded_amount`, `refunded_at` and a later `updated_at`.
 */
export function lemonSqueezyOrderCreatedEvent(input: LemonSqueezyOrderInput) {
  const at = isoOf(input.createdAt);
  const total = input.total ?? 1000;
  const testMode = input.testMode ?? false;
  return {
    meta: { event_name: 'order_created', test_mode: testMode },
    data: {
      type: 'orders',
      id: String(input.orderId ?? randomNumber()),
      attributes: {
        customer_id: randomNumber(),
        user_name: input.customerName ?? '',
        user_email: input.email,
        currency: input.currency ?? 'USD',
        subtotal: total,
        total,
        status: 'paid',
        refunded: false,
        refunded_at: null as string | null,
        refunded_amount: 0,
        first_order_item: {
          product_id: input.productId,
          product_name: input.productName ?? String(input.productId),
          variant_name: input.variantName ?? null,
          price: total,
          quantity: 1,
        },
        created_at: at,
        updated_at: at,
        test_mode: testMode,
      },
    },
  };
}

/** Input of {@link lemonSqueezySubscriptionCreatedEvent}. */
export interface LemonSqueezySubscriptionInput {
  email: string;
  /** The order that bought the subscription (`order_id`, a number in Lemon Squeezy's payloads). */
  orderId: string | number;
  /** `data.id`. Default: a random number. */
  subscriptionId?: string | number;
  productId: number | string;
  productName?: string;
  variantName?: string;
  /** `first_subscription_item.quantity`. Default 1. */
  quantity?: number;
  customerName?: string;
  /** `created_at` and `updated_at`. Default: now. */
  createdAt?: Date | string;
  testMode?: boolean;
}

/**
 * The body of a Lemon Squeezy `subscription_created` webhook, which comes beside the order's
 * `order_created`. Its cancellation and end: the same body with `meta.event_name`
 * `subscription_cancelled` or `subscription_expired` and a later `updated_at`.
 */
export function lemonSqueezySubscriptionCreatedEvent(input: LemonSqueezySubscriptionInput) {
  const at = isoOf(input.createdAt);
  const testMode = input.testMode ?? false;
  const id = String(input.subscriptionId ?? randomNumber());
  return {
    meta: { event_name: 'subscription_created', test_mode: testMode },
    data: {
      type: 'subscriptions',
      id,
      attributes: {
        customer_id: randomNumber(),
        order_id: input.orderId,
        product_id: input.productId,
        product_name: input.productName ?? String(input.productId),
        variant_name: input.variantName ?? null,
        user_name: input.customerName ?? '',
        user_email: input.email,
        status: 'active',
        cancelled: false,
        first_subscription_item: { quantity: input.quantity ?? 1 },
        created_at: at,
        updated_at: at,
        test_mode: testMode,
      },
    },
  };
}

/** Input of {@link lemonSqueezySubscriptionPaymentEvent}. */
export interface LemonSqueezySubscriptionPaymentInput {
  email: string;
  subscriptionId: string | number;
  /** `data.id`, the subscription invoice. Default: a random number. */
  invoiceId?: string | number;
  /** `renewal` (default) or `initial` (the first payment, which is the order's sale). */
  billingReason?: string;
  /** `total` in minor units. Default 1000. */
  total?: number;
  /** Default `USD`. */
  currency?: string;
  /** `created_at` and `updated_at`. Default: now. */
  createdAt?: Date | string;
  testMode?: boolean;
  /**
   * Makes it the `subscription_payment_refunded` webhook of that payment, with this
   * `refunded_amount` (all of `total`: a full refund).
   */
  refundedAmount?: number;
}

/**
 * The body of a Lemon Squeezy `subscription_payment_success` webhook: by default a renewal. With
 * `refundedAmount`, the `subscription_payment_refunded` webhook of that payment.
 */
export function lemonSqueezySubscriptionPaymentEvent(input: LemonSqueezySubscriptionPaymentInput) {
  const at = isoOf(input.createdAt);
  const testMode = input.testMode ?? false;
  const total = input.total ?? 1000;
  const refundedAmount = input.refundedAmount;
  const refund =
    refundedAmount === undefined
      ? {}
      : {
          status: refundedAmount >= total ? 'refunded' : 'partial_refund',
          refunded: refundedAmount >= total,
          refunded_amount: refundedAmount,
          refunded_at: at,
        };
  return {
    meta: {
      event_name:
        refundedAmount === undefined ? 'subscription_payment_success' : 'subscription_payment_refunded',
      test_mode: testMode,
    },
    data: {
      type: 'subscription-invoices',
      id: String(input.invoiceId ?? randomNumber()),
      attributes: {
        subscription_id: input.subscriptionId,
        customer_id: randomNumber(),
        user_name: '',
        user_email: input.email,
        billing_reason: input.billingReason ?? 'renewal',
        currency: input.currency ?? 'USD',
        status: 'paid',
        subtotal: total,
        total,
        refunded: false,
        created_at: at,
        updated_at: at,
        test_mode: testMode,
        ...refund,
      },
    },
  };
}

function eventNameOf(payload: WebhookBody): string | undefined {
  let value: unknown = payload;
  if (typeof payload === 'string' || payload instanceof Uint8Array) {
    try {
      value = JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
    } catch {
      return undefined;
    }
  }
  const meta = typeof value === 'object' && value !== null ? Reflect.get(value, 'meta') : undefined;
  const name = typeof meta === 'object' && meta !== null ? Reflect.get(meta, 'event_name') : undefined;
  // Only what a header can carry: Latin-1 without NUL, CR or LF.
  return typeof name === 'string' && /^[^\0\r\n\u0100-\uffff]*$/.test(name) ? name : undefined;
}
