import { normalizeLemonSqueezyEvent } from '../../normalizers/lemon-squeezy.js';
import { configuredSecrets } from '../_hmac-signature.js';
import { readVerifiedJson } from '../_read-json.js';
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
  const secrets = configuredSecrets(
    signingSecret,
    'lemonSqueezy() needs signingSecret, the webhook signing secret',
  );
  return {
    id: 'lemonsqueezy',
    accepts: ['application/json'],
    async parse(request) {
      const event = await readVerifiedJson(request, {
        store: 'Lemon Squeezy',
        expected: 'a JSON:API document',
        verify: (body) =>
          verifyLemonSqueezySignature({
            payload: body,
            signature: request.headers.get('x-signature'),
            secret: secrets,
          }),
      });
      return normalizeLemonSqueezyEvent(event);
    },
  };
}
