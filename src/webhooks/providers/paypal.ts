import { type Clock, systemClock } from '../../domain/clock.js';
import { LicenseKitError, WebhookVerificationError } from '../../domain/errors.js';
import type { PurchaseEvent } from '../../domain/purchase.js';
import { normalizePayPalEvent } from '../../normalizers/paypal.js';
import { readVerifiedJson } from '../_read-json.js';
import { verifyPayPalSignature } from '../paypal-signature.js';
import type { WebhookProvider } from '../provider.js';

/** What a caller's own PayPal verifier gets: the exact body text, the headers and your webhook id. */
export interface PayPalVerificationRequest {
  /**
   * The raw body as received (UTF-8). PayPal's verify API needs this exact text spliced in as
   * `webhook_event`: re-serializing the parsed JSON makes it answer FAILURE.
   */
  payload: string;
  headers: Headers;
  webhookId: string;
}

/** A caller's own check, e.g. one that calls PayPal's `/v1/notifications/verify-webhook-signature`. */
export type PayPalVerifier = (request: PayPalVerificationRequest) => Promise<boolean>;

/** Options of {@link paypal}. */
export interface PayPalProviderOptions {
  /** Your webhook's id from the PayPal developer dashboard. */
  webhookId: string;
  /**
   * How deliveries are authenticated: `{ getCertificate }` for the offline scheme of
   * {@link verifyPayPalSignature}, or your own {@link PayPalVerifier}. A verifier that resolves
   * `false` is a 401; one that throws (PayPal unreachable) is passed through, so the handler answers
   * 500 and PayPal retries.
   */
  verify: { getCertificate: (url: string) => Promise<string> } | PayPalVerifier;
  /**
   * Offline scheme only: reject transmissions whose `PAYPAL-TRANSMISSION-TIME` is further than this
   * from now. Off by default: PayPal defines no window, and a replayed event is a duplicate anyway.
   */
  toleranceSeconds?: number;
  /** Where the time check reads the time. Default: the system clock. */
  clock?: Clock;
}

/**
 * The PayPal provider: reads the raw body once, verifies it (before any parsing), then parses the
 * JSON and normalizes it with {@link normalizePayPalEvent}. A bad or missing signature is a
 * `WebhookVerificationError` (401); a body that is not a JSON event is a `NormalizationError` (400).
 * A missing `webhookId` or `verify` is `INVALID_INPUT` at construction.
 */
export function paypal(options: PayPalProviderOptions): WebhookProvider {
  const { webhookId, verify, toleranceSeconds, clock = systemClock } = options;
  if (typeof webhookId !== 'string' || webhookId.trim() === '') {
    throw new LicenseKitError(
      'INVALID_INPUT',
      'paypal(): webhookId must be your webhook id from the PayPal dashboard',
    );
  }
  if (typeof verify !== 'function' && typeof verify?.getCertificate !== 'function') {
    throw new LicenseKitError('INVALID_INPUT', 'paypal(): verify must be { getCertificate } or a function');
  }
  /** Resolves when `body`, delivered with `headers`, is authentic; see `verify`. */
  const authenticate = async (body: Uint8Array, headers: Headers): Promise<void> => {
    if (typeof verify === 'function') {
      const payload = new TextDecoder().decode(body);
      if (!(await verify({ payload, headers, webhookId }))) {
        throw new WebhookVerificationError(
          'WEBHOOK_UNAUTHORIZED',
          'the PayPal webhook could not be verified',
        );
      }
      return;
    }
    await verifyPayPalSignature({
      payload: body,
      headers,
      webhookId,
      getCertificate: (url) => verify.getCertificate(url),
      ...(toleranceSeconds === undefined ? {} : { now: clock(), toleranceSeconds }),
    });
  };
  return {
    id: 'paypal',
    accepts: ['application/json'],
    async parse(request: Request): Promise<PurchaseEvent | null> {
      const event = await readVerifiedJson(request, {
        store: 'PayPal',
        expected: 'a JSON object',
        verify: (body) => authenticate(body, request.headers),
      });
      return normalizePayPalEvent(event);
    },
  };
}
