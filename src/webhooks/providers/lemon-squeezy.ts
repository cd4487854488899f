import { LicenseKitError, NormalizationError } from '../../domain/errors.js';
import { normalizeLemonSqueezyEvent } from '../../normalizers/lemon-squeezy.js';
import { verifyLemonSqueezySignature } from '../lemon-squeezy-signature.js';
import type { WebhookProvider } from '../provider.js';

/** Options of {@link lemonSqueezy}. */
export interface LemonSqueezyProviderOptions {
  /** The signing secret chosen when the webhook was created, or several while rotating: any may match. */
  signingSecret: string | readonly string[];
}

/**
 * The Lemon Squeezy provider (`purchase.source` `lemonsqueezy`). Each request's raw body is read once,
 * its `X-Signature` verified over those exact bytes before anything is parsed, then the JSON is
 * normalized with {@link normalizeLemonSqueezyEvent}. Rejects with `WebhookVerificationError` (401) or
 * `NormalizationError` (400, a body that is not JSON included). Throws `INVALID_INPUT` at once when
 * `signingSecret` is missing.
 */
export function lemonSqueezy(options: LemonSqueezyProviderOptions): WebhookProvider {
  const { signingSecret } = options;
  const secrets: readonly unknown[] = Array.isArray(signingSecret) ? signingSecret : [signingSecret];
  if (
    secrets.length === 0 ||
    !secrets.every((secret): secret is string => typeof secret === 'string' && secret !== '')
  ) {
    throw new LicenseKitError(
      'INVALID_INPUT',
      'lemonSqueezy() needs signingSecret, the webhook signing secret',
    );
  }
  return {
    id: 'lemonsqueezy',
    accepts: ['application/json'],
    async parse(request) {
      const body = new Uint8Array(await request.arrayBuffer());
      await verifyLemonSqueezySignature({
        payload: body,
        signature: request.headers.get('x-signature'),
        secret: secrets,
      });
      return normalizeLemonSqueezyEvent(readJson(body));
    },
  };
}

/** The verified body as JSON; anything else (invalid UTF-8 included) is a `NormalizationError`. */
function readJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new NormalizationError('NORMALIZATION_FAILED', 'the Lemon Squeezy webhook body is not JSON', {
      issues: [{ path: '', message: 'expected a JSON:API document' }],
    });
  }
}
