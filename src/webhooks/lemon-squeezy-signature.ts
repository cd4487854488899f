import { WebhookVerificationError } from '../domain/errors.js';
import { hmacSha256Hex, timingSafeEqual, toBytes } from './_crypto.js';

/** Options of {@link verifyLemonSqueezySignature}. */
export interface VerifyLemonSqueezySignatureOptions {
  /** The raw request body exactly as received: bytes, or a string taken as UTF-8. Never a parsed object. */
  payload: string | Uint8Array;
  /** The `X-Signature` header (lower-case hex); `null` or `undefined` when the request has none. */
  signature: string | null | undefined;
  /** The signing secret chosen when the webhook was created, or several while rotating: any may match. */
  secret: string | readonly string[];
}

const unauthorized = (message: string) => new WebhookVerificationError('WEBHOOK_UNAUTHORIZED', message);

/**
 * Checks a Lemon Squeezy webhook's `X-Signature` header: hex HMAC-SHA256 of the raw body keyed with
 * the signing secret, compared in constant time with Web Crypto. Lemon Squeezy signs no timestamp, so
 * there is no replay window: deduplicate on the event id (see `normalizeLemonSqueezyEvent`).
 *
 * Resolves when the body is authentic. Rejects with `WebhookVerificationError` (`WEBHOOK_UNAUTHORIZED`),
 * never another error: missing header, no match, a wrong-length signature, a parsed object as payload,
 * no secret. Messages never contain a secret or the expected signature.
 */
export async function verifyLemonSqueezySignature(
  options: VerifyLemonSqueezySignatureOptions,
): Promise<void> {
  const { payload, signature, secret } = options;
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
    throw unauthorized(
      'verifyLemonSqueezySignature needs the raw request body (a string or Uint8Array), not a parsed object: verify before JSON.parse',
    );
  }
  const secrets: readonly unknown[] =
    typeof secret === 'string' ? [secret] : Array.isArray(secret) ? secret : [];
  if (secrets.length === 0 || !secrets.every((value) => typeof value === 'string' && value !== '')) {
    throw unauthorized('no Lemon Squeezy signing secret is configured');
  }
  if (typeof signature !== 'string' || signature.trim() === '')
    throw unauthorized('missing X-Signature header');

  const candidate = signature.trim().toLowerCase();
  const body = toBytes(payload);
  let matched = false;
  for (const key of secrets as readonly string[]) {
    if (timingSafeEqual(candidate, await hmacSha256Hex(key, body))) matched = true;
  }
  if (!matched) throw unauthorized('the X-Signature header does not match the payload');
}
