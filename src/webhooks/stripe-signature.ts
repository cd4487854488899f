import { WebhookVerificationError } from '../domain/errors.js';
import { concatBytes, hmacSha256Hex, timingSafeEqual, toBytes } from './_crypto.js';

/** Options of {@link verifyStripeSignature}. */
export interface VerifyStripeSignatureOptions {
  /** The raw request body exactly as received: bytes, or a string taken as UTF-8. Never a parsed object. */
  payload: string | Uint8Array;
  /** The `Stripe-Signature` header (`t=…,v1=…`); `null` or `undefined` when the request has none. */
  header: string | null | undefined;
  /** The endpoint's signing secret (`whsec_…`), or several while one is rolled: any may match. */
  secret: string | readonly string[];
  /** How many seconds the signed timestamp may lie before or after `now`. Default 300; `Infinity` disables. */
  toleranceSeconds?: number;
  /** The current time. Default: the system clock. */
  now?: Date;
}

const unauthorized = (message: string) => new WebhookVerificationError('WEBHOOK_UNAUTHORIZED', message);

/**
 * Checks a Stripe webhook's `Stripe-Signature` header over the raw body, with Web Crypto. The header
 * is `t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]`; the signature is HMAC-SHA256 of `<t>.<body>`
 * keyed with the secret. Any `v1` may match any secret (Stripe sends two while a secret is rolled);
 * `v0` and other schemes are ignored, so a downgrade is impossible. The signature is checked first,
 * then the timestamp, which may be at most `toleranceSeconds` old and (unlike stripe-node) at most
 * as far in the future, so a leaked signed body cannot be post-dated for later replay.
 *
 * Resolves when the body is authentic. Rejects with `WebhookVerificationError`, never another error:
 * `WEBHOOK_TIMESTAMP_OUT_OF_RANGE` for an authentic body outside the tolerance, `WEBHOOK_UNAUTHORIZED`
 * for everything else (missing or malformed header, no matching signature, a wrong-length signature,
 * a parsed object as payload, no secret). Messages never contain a secret or the expected signature.
 */
export async function verifyStripeSignature(options: VerifyStripeSignatureOptions): Promise<void> {
  const { payload, header, secret, toleranceSeconds = 300, now = new Date() } = options;
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
    throw unauthorized(
      'verifyStripeSignature needs the raw request body (a string or Uint8Array), not a parsed object: verify before JSON.parse',
    );
  }
  const secrets: readonly unknown[] =
    typeof secret === 'string' ? [secret] : Array.isArray(secret) ? secret : [];
  if (secrets.length === 0 || !secrets.every((value) => typeof value === 'string' && value !== '')) {
    throw unauthorized('no Stripe signing secret is configured');
  }
  if (typeof toleranceSeconds !== 'number' || Number.isNaN(toleranceSeconds) || toleranceSeconds < 0) {
    throw unauthorized('toleranceSeconds must be a number of seconds, 0 or more');
  }
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw unauthorized('now must be a valid Date');
  if (typeof header !== 'string' || header.trim() === '')
    throw unauthorized('missing Stripe-Signature header');

  const { timestamp, signatures } = parseHeader(header);
  const signed = concatBytes(new TextEncoder().encode(`${timestamp}.`), toBytes(payload));
  let matched = false;
  for (const key of secrets as readonly string[]) {
    const expected = await hmacSha256Hex(key, signed);
    for (const candidate of signatures) if (timingSafeEqual(candidate, expected)) matched = true;
  }
  if (!matched) throw unauthorized('no v1 signature in the Stripe-Signature header matches the payload');

  const age = Math.floor(now.getTime() / 1000) - Number(timestamp);
  if (Math.abs(age) > toleranceSeconds) {
    throw new WebhookVerificationError(
      'WEBHOOK_TIMESTAMP_OUT_OF_RANGE',
      `the Stripe-Signature timestamp is ${Math.abs(age)} s ${age > 0 ? 'old' : 'in the future'}, beyond the ${toleranceSeconds} s tolerance`,
    );
  }
}

/** Splits `t=…,v1=…,v0=…`: exactly one all-digit `t`, at least one `v1`; other schemes are dropped. */
function parseHeader(header: string): { timestamp: string; signatures: string[] } {
  const timestamps: string[] = [];
  const signatures: string[] = [];
  for (const element of header.split(',')) {
    const at = element.indexOf('=');
    if (at < 0) continue;
    const scheme = element.slice(0, at).trim();
    const value = element.slice(at + 1).trim();
    if (scheme === 't') timestamps.push(value);
    else if (scheme === 'v1') signatures.push(value.toLowerCase());
  }
  const [timestamp] = timestamps;
  if (timestamps.length !== 1 || timestamp === undefined || !/^\d{1,15}$/.test(timestamp)) {
    throw unauthorized('the Stripe-Signature header needs exactly one timestamp (t=<unix seconds>)');
  }
  if (signatures.length === 0) throw unauthorized('the Stripe-Signature header has no v1 signature');
  return { timestamp, signatures };
}
