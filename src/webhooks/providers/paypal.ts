import { type Clock, systemClock } from '../../domain/clock.js';
import { LicenseKitError, WebhookVerificationError } from '../../domain/errors.js';
import type { PurchaseEvent } from '../../domain/purchase.js';
import { normalizePayPalEvent } from '../../normalizers/paypal.js';
import { readVerifiedJson } from '../_read-json.js';
import { configuredTolerance } from '../_tolerance.js';
import { transmissionGuard } from '../_transmission-guard.js';
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
   * from now, either way. Off by default: PayPal defines no window, and whether its retries keep the
   * original transmission time is not documented, so a window could refuse genuine retries. It
   * narrows how long a captured signature can be reused under another body (see {@link paypal}).
   * Anything else but a number of seconds, 0 or more, is `INVALID_INPUT` at construction.
   */
  toleranceSeconds?: number;
  /** Where the time check reads the time. Default: the system clock. */
  clock?: Clock;
}

/**
 * The PayPal provider: reads the raw body once, verifies it (before any parsing), then parses the
 * JSON and normalizes it with {@link normalizePayPalEvent}. A bad or missing signature is a
 * `WebhookVerificationError` (401); a certificate that cannot be fetched is one with code
 * `WEBHOOK_VERIFIER_UNAVAILABLE` (503); a body that is not a JSON event is a `NormalizationError`
 * (400). A missing `webhookId` or `verify`, or a bad `toleranceSeconds`, is `INVALID_INPUT` at
 * construction.
 *
 * PayPal's signature covers the body only through its CRC-32, which anyone can match with another
 * body, so a captured signature could carry a forged event. After a delivery verifies (either way),
 * the provider remembers its `PAYPAL-TRANSMISSION-ID` with the SHA-256 of the body (the last 10,000
 * transmissions) and rejects that id with any other body (401); the same body again is a retry and
 * passes. This covers only what this provider instance has seen since the process started.
 */
export function paypal(options: PayPalProviderOptions): WebhookProvider {
  const { webhookId, verify, clock = systemClock } = options;
  if (typeof webhookId !== 'string' || webhookId.trim() === '') {
    throw new LicenseKitError(
      'INVALID_INPUT',
      'paypal(): webhookId must be your webhook id from the PayPal dashboard',
    );
  }
  if (typeof verify !== 'function' && typeof verify?.getCertificate !== 'function') {
    throw new LicenseKitError('INVALID_INPUT', 'paypal(): verify must be { getCertificate } or a function');
  }
  const toleranceSeconds = configuredTolerance(options.toleranceSeconds, 'paypal');
  const admit = transmissionGuard();
  /** Resolves when `body`, delivered with `headers`, is authentic (see `verify`). */
  const verifySignature = async (body: Uint8Array, headers: Headers): Promise<void> => {
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
  /**
   * {@link verifySignature}, then the transmission id bound to this body. A custom verifier may
   * accept a request without a transmission id (PayPal's API would not): it is then not remembered.
   */
  const authenticate = async (body: Uint8Array, headers: Headers): Promise<void> => {
    await verifySignature(body, headers);
    const transmissionId = headers.get('paypal-transmission-id');
    if (transmissionId !== null) await admit(transmissionId, body);
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
