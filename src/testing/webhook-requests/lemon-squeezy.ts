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
        refunded_at: null,
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
