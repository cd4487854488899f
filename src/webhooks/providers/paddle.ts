import { type Clock, systemClock } from '../../domain/clock.js';
import { normalizePaddleEvent, paddleCustomerToResolve } from '../../normalizers/paddle.js';
import { configuredSecrets } from '../_hmac-signature.js';
import { readVerifiedJson } from '../_read-json.js';
import { configuredTolerance } from '../_tolerance.js';
import { verifyPaddleSignature } from '../paddle-signature.js';
import type { WebhookProvider } from '../provider.js';

/** A Paddle customer as `resolveCustomer` returns it. */
export interface PaddleCustomer {
  email: string;
  name?: string | null;
}

/** Options of {@link paddle}. */
export interface PaddleProviderOptions {
  /** The notification destination's secret key (`pdl_ntfset_…`), or several while rotating. */
  secret: string | readonly string[];
  /**
   * How many seconds old the signature timestamp may be. Default 5, as Paddle's SDKs; a timestamp in
   * the future may be up to 300 s ahead (clock skew), or this much when larger. `Infinity` turns the
   * check off. Anything else but a number of seconds, 0 or more, is `INVALID_INPUT` at construction.
   */
  toleranceSeconds?: number;
  /**
   * Looks up a customer's email and name (Paddle transactions carry only `customer_id`), e.g. with
   * `GET /customers/{id}`. Called only for transactions that become a sale or renewal; `null` falls
   * back to `custom_data.email`. A rejection propagates, so the handler answers 5xx and Paddle retries.
   */
  resolveCustomer?: (customerId: string) => Promise<PaddleCustomer | null>;
  /** Mark every event as a test purchase: set it for a sandbox notification destination. */
  sandbox?: boolean;
  /** Where the timestamp check reads the time. Default: the system clock. */
  clock?: Clock;
}

/**
 * The Paddle Billing provider (`purchase.source` `paddle`). Each request's raw body is read once, its
 * `Paddle-Signature` verified over those exact bytes before anything is parsed, the buyer resolved
 * when a sale or renewal needs an email, then the JSON is normalized with {@link normalizePaddleEvent}.
 * Rejects with `WebhookVerificationError` (401) or `NormalizationError` (400, a body that is not JSON
 * included). Throws `INVALID_INPUT` at once when `secret` is missing or has surrounding whitespace, or
 * `toleranceSeconds` is not a number of seconds, 0 or more.
 */
export function paddle(options: PaddleProviderOptions): WebhookProvider {
  const { secret, resolveCustomer, sandbox = false, clock = systemClock } = options;
  const toleranceSeconds = configuredTolerance(options.toleranceSeconds, 'paddle');
  const secrets = configuredSecrets(
    secret,
    'paddle() needs secret, the notification secret key',
    'paddle() secret has leading or trailing whitespace',
  );
  return {
    id: 'paddle',
    accepts: ['application/json'],
    async parse(request) {
      const payload = await readVerifiedJson(request, {
        store: 'Paddle',
        expected: 'a JSON notification',
        verify: (body) =>
          verifyPaddleSignature({
            payload: body,
            header: request.headers.get('paddle-signature'),
            secret: secrets,
            toleranceSeconds,
            now: clock(),
          }),
      });
      const customerId = resolveCustomer ? paddleCustomerToResolve(payload) : null;
      const customer = customerId !== null && resolveCustomer ? await resolveCustomer(customerId) : null;
      return normalizePaddleEvent(payload, {
        customerEmail: customer?.email,
        customerName: customer?.name ?? undefined,
        isTest: sandbox,
      });
    },
  };
}
