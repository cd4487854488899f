import { type Clock, systemClock } from '../../domain/clock.js';
import { LicenseKitError, NormalizationError } from '../../domain/errors.js';
import { normalizeStripeEvent, type StripeNormalizeOptions } from '../../normalizers/stripe.js';
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
  const secrets: readonly unknown[] = Array.isArray(signingSecret) ? signingSecret : [signingSecret];
  if (
    secrets.length === 0 ||
    !secrets.every((secret): secret is string => typeof secret === 'string' && secret !== '')
  ) {
    throw new LicenseKitError('INVALID_INPUT', 'stripe() needs signingSecret, the endpoint secret (whsec_…)');
  }
  if (secrets.some((secret) => secret !== secret.trim())) {
    throw new LicenseKitError('INVALID_INPUT', 'stripe() signingSecret has leading or trailing whitespace');
  }
  return {
    id: 'stripe',
    accepts: ['application/json'],
    async parse(request) {
      const body = new Uint8Array(await request.arrayBuffer());
      await verifyStripeSignature({
        payload: body,
        header: request.headers.get('stripe-signature'),
        secret: secrets,
        toleranceSeconds,
        now: clock(),
      });
      return normalizeStripeEvent(readJson(body), { productId });
    },
  };
}

/** The verified body as JSON; anything else (invalid UTF-8 included) is a `NormalizationError`. */
function readJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new NormalizationError('NORMALIZATION_FAILED', 'the Stripe webhook body is not JSON', {
      issues: [{ path: '', message: 'expected a JSON Event object' }],
    });
  }
}
