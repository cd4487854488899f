import { hmacSha256Hex } from '../../webhooks/_crypto.js';
import {
  concat,
  defaultUrl,
  isoOf,
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
 * A Paddle Billing webhook `Request` with a valid `Paddle-Signature` (`ts=<seconds>;h1=<HMAC-SHA256
 * of "<ts>:<body>">`) for `secret`, posted as `application/json`. Paddle's tolerance is 5 s, so pass
 * `timestamp` from the clock your provider uses.
 */
export async function paddleWebhookRequest(
  payload: WebhookBody,
  secret: string,
  options: TimestampedWebhookRequestOptions = {},
): Promise<Request> {
  const body = toBytes(payload);
  const ts = unixSeconds(options.timestamp, 'timestamp');
  const signature = await hmacSha256Hex(requireSecret(secret, 'paddle'), concat(utf8(`${ts}:`), body));
  return post(
    options.url ?? defaultUrl('paddle'),
    { 'content-type': 'application/json', 'paddle-signature': `ts=${ts};h1=${signature}` },
    body,
    options.headers,
  );
}

/** Input of {@link paddleTransactionCompletedEvent}. */
export interface PaddleTransactionInput {
  /** Sent as `custom_data.email` (Paddle transactions carry no email otherwise). */
  email: string;
  /** The first item's `price.product_id` (`pro_…`). */
  productId: string;
  productName?: string;
  /** `details.totals.grand_total` in minor units. Default 1000. */
  amount?: number;
  /** Default `USD`. */
  currency?: string;
  /** `data.id`, the sale id. Default: a random `txn_…`. */
  transactionId?: string;
  /** Links the sale to a subscription (for renewals and cancellations). */
  subscriptionId?: string;
  /** `event_id`. Default: a random `evt_…`. */
  eventId?: string;
  /** `occurred_at` and `billed_at`. Default: now. */
  occurredAt?: Date | string;
}

/** A Paddle Billing `transaction.completed` notification for a checkout (`origin: web`). */
export function paddleTransactionCompletedEvent(input: PaddleTransactionInput) {
  const at = isoOf(input.occurredAt);
  const amount = String(input.amount ?? 1000);
  const currency = input.currency ?? 'USD';
  return {
    event_id: input.eventId ?? randomId('evt_'),
    event_type: 'transaction.completed',
    occurred_at: at,
    notification_id: randomId('ntf_'),
    data: {
      id: input.transactionId ?? randomId('txn_'),
      status: 'completed',
      customer_id: randomId('ctm_'),
      custom_data: { email: input.email },
      currency_code: currency,
      origin: 'web',
      subscription_id: input.subscriptionId ?? null,
      billed_at: at,
      items: [
        {
          price: { id: randomId('pri_'), product_id: input.productId, name: null as string | null },
          product: { id: input.productId, name: input.productName ?? input.productId },
          quantity: 1,
        },
      ],
      details: {
        totals: { subtotal: amount, tax: '0', total: amount, grand_total: amount, currency_code: currency },
      },
    },
  };
}
