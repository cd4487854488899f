import { type Clock, systemClock } from '../../domain/clock.js';
import { normalizeStripeEvent, type StripeNormalizeOptions } from '../../normalizers/stripe.js';
import { configuredSecrets } from '../_hmac-signature.js';
import { readVerifiedJson } from '../_read-json.js';
import type { WebhookProvider } from '../provider.js';
import { verifyStripeSignature } from '../stripe-signature.js';

/** Options of {@link stripe}. */
export interface StripeProviderOptions {
  /** The endpoint's signing secret (`whsec_…`), or several while one is rolled: any may match. */
  signingSecret: string | readonly string[];
  /** How many seconds the signature timestamp may be off, either way. Default 300. */
  toleranceSeconds?: number;
  /** The product of Checkout Sessions without `metadata.product_id` (see `normalizeStripeEvent`). */
  productId?: StripeNormalizeOptions['productId'];
  /** Where the timestamp check reads the time. Default: the system clock. */
  clock?: Clock;
}

/**
 * The Stripe provider (`purchase.source` `stripe`). Each request's raw body is read once, its
 * `Stripe-Signature` verified over those exact bytes before anything is parsed, then the JSON is
 * normalized with {@link normalizeStripeEvent}. Rejects with `WebhookVerificationError` (401) or
 * `NormalizationError` (400, a body that is not JSON included). Throws `INVALID_INPUT` at once when
 * `signingSecret` is missing or has surrounding whitespace (a pasted newline would fail every delivery).
 */
export function stripe(options: StripeProviderOptions): WebhookProvider {
  const { signingSecret, toleranceSeconds, productId, clock = systemClock } = options;
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
      return normalizeStripeEvent(event, { productId });
    },
  };
}
