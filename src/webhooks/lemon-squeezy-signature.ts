import { toBytes } from './_crypto.js';
import { checkRawPayload, hmacMatches, requireHeader, secretList, unauthorized } from './_hmac-signature.js';

/** Options of {@link verifyLemonSqueezySignature}. */
export interface VerifyLemonSqueezySignatureOptions {
  /** The raw request body exactly as received: bytes, or a string taken as UTF-8. Never a parsed object. */
  payload: string | Uint8Array;
  /** The `X-Signature` header (lower-case hex); `null` or `undefined` when the request has none. */
  signature: string | null | undefined;
  /** The signing secret chosen when the webhook was created, or several while rotating: any may match. */
  secret: string | readonly string[];
}

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
  checkRawPayload(payload, 'verifyLemonSqueezySignature');
  const secrets = secretList(secret, 'Lemon Squeezy signing secret');
  const candidate = requireHeader(signature, 'X-Signature').trim().toLowerCase();
  if (!(await hmacMatches(secrets, toBytes(payload), [candidate]))) {
    throw unauthorized('the X-Signature header does not match the payload');
  }
}
