import { type Clock, systemClock } from '../../domain/clock.js';
import {
  normalizeStripeEvent,
  type StripeNormalizeOptions,
  type StripePayment,
  stripePaymentToResolve,
} from '../../normalizers/stripe.js';
import { configuredSecrets } from '../_hmac-signature.js';
import { readVerifiedJson } from '../_read-json.js';
import { configuredTolerance } from '../_tolerance.js';
import type { WebhookProvider } from '../provider.js';
import { verifyStripeSignature } from '../stripe-signature.js';

/** Options of {@link stripe}. */
export interface StripeProviderOptions {
  /** The endpoint's signing secret (`whsec_…`), or several while one is rolled: any may match. */
  signingSecret: string | readonly string[];
  /**
   * How many seconds old the signature timestamp may be (and in the future, at least 300 s for
   * clock skew). Default 300; `Infinity` turns the check off. Anything else but a number of seconds,
   * 0 or more, is `INVALID_INPUT` at construction.
   */
  toleranceSeconds?: number;
  /** The product of Checkout Sessions without `metadata.product_id` (see `normalizeStripeEvent`). */
  productId?: StripeNormalizeOptions['productId'];
  /**
   * Looks up the subscription a refunded or disputed payment belongs to, e.g. with Stripe's
   * `invoicePayments.list({ payment: { type: 'payment_intent', payment_intent } })` and then the
   * invoice's `parent.subscription_details.subscription` (or `invoices.retrieve(invoiceId)` on API
   * versions before 2025-03-31, which name the invoice). Charges do not name their subscription, so
   * without it a refund of a subscription payment cannot find the subscription's license. Called for
   * `charge.refunded` (unless the charge says it paid no invoice) and `charge.dispute.*` only;
   * `null` means a one-off payment. A rejection propagates, so the handler answers 5xx and Stripe retries.
   */
  resolveSubscription?: (payment: StripePayment) => Promise<string | null>;
  /** Where the timestamp check reads the time. Default: the system clock. */
  clock?: Clock;
}

/**
 * The Stripe provider (`purchase.source` `stripe`). Each request's raw body is read once, its
 * `Stripe-Signature` verified over those exact bytes before anything is parsed, the subscription of
 * a refunded or disputed payment resolved when `resolveSubscription` is given, then the JSON is
 * normalized with {@link normalizeStripeEvent}. Rejects with `WebhookVerificationError` (401) or
 * `NormalizationError` (400, a body that is not JSON included). Throws `INVALID_INPUT` at once when
 * `signingSecret` is missing or has surrounding whitespace (a pasted newline would fail every delivery),
 * or `toleranceSeconds` is not a number of seconds, 0 or more.
 */
export function stripe(options: StripeProviderOptions): WebhookProvider {
  const { signingSecret, productId, resolveSubscription, clock = systemClock } = options;
  const toleranceSeconds = configuredTolerance(options.toleranceSeconds, 'stripe');
  const secrets = configuredSecrets(
    signingSecret,
    'stripe() needs signingSecret, the endpoint secret (whsec_…)',
    'stripe() signingSecret has leading or trailing whitespace',
  );
  return {
    id: 'stripe',
    accepts: ['application/json'],
    async parse(request) {
      const event = await readVerifiedJson(request, {
        store: 'Stripe',
        expected: 'a JSON Event object',
        verify: (body) =>
          verifyStripeSignature({
            payload: body,
            header: request.headers.get('stripe-signature'),
            secret: secrets,
            toleranceSeconds,
            now: clock(),
          }),
      });
      const payment = resolveSubscription ? stripePaymentToResolve(event) : null;
      const subscriptionId = payment && resolveSubscription ? await resolveSubscription(payment) : null;
      return normalizeStripeEvent(event, { productId, subscriptionId: subscriptionId ?? undefined });
    },
  };
}
