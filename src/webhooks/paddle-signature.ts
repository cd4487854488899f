import { WebhookVerificationError } from '../domain/errors.js';
import { concatBytes, hmacSha256Hex, timingSafeEqual, toBytes } from './_crypto.js';

/** Options of {@link verifyPaddleSignature}. */
export interface VerifyPaddleSignatureOptions {
  /** The raw request body exactly as received: bytes, or a string taken as UTF-8. Never a parsed object. */
  payload: string | Uint8Array;
  /** The `Paddle-Signature` header (`ts=…;h1=…`); `null` or `undefined` when the request has none. */
  header: string | null | undefined;
  /** The notification destination's secret key (`pdl_ntfset_…`), or several while rotating: any may match. */
  secret: string | readonly string[];
  /** How many seconds the signed timestamp may lie before or after `now`. Default 5 (Paddle's SDKs); `Infinity` disables. */
  toleranceSeconds?: number;
  /** The current time. Default: the system clock. */
  now?: Date;
}

const unauthorized = (message: string) => new WebhookVerificationError('WEBHOOK_UNAUTHORIZED', message);

/**
 * Checks a Paddle Billing webhook's `Paddle-Signature` header over the raw body, with Web Crypto. The
 * header is `ts=<unix seconds>;h1=<hex>[;h1=<hex>…]`; the signature is HMAC-SHA256 of `<ts>:<body>`
 * (a colon) keyed with the secret key as-is. Any `h1` may match any secret (as Paddle's Python SDK;
 * the Node SDK keeps only the last `h1`); unknown schemes such as `h2` are ignored. The signature is
 * checked first, then the timestamp: at most `toleranceSeconds` old, as the SDKs do, and at most as
 * far in the future, so a signed body cannot be post-dated. Five seconds is strict: servers with a
 * skewed clock should pass a larger tolerance.
 *
 * Resolves when the body is authentic. Rejects with `WebhookVerificationError`, never another error:
 * `WEBHOOK_TIMESTAMP_OUT_OF_RANGE` for an authentic body outside the tolerance, `WEBHOOK_UNAUTHORIZED`
 * for everything else (missing or malformed header, no matching signature, a wrong-length signature,
 * a parsed object as payload, no secret). Messages never contain a secret or the expected signature.
 */
export async function verifyPaddleSignature(options: VerifyPaddleSignatureOptions): Promise<void> {
  const { payload, header, secret, toleranceSeconds = 5, now = new Date() } = options;
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
    throw unauthorized(
      'verifyPaddleSignature needs the raw request body (a string or Uint8Array), not a parsed object: verify before JSON.parse',
    );
  }
  const secrets: readonly unknown[] =
    typeof secret === 'string' ? [secret] : Array.isArray(secret) ? secret : [];
  if (secrets.length === 0 || !secrets.every((value) => typeof value === 'string' && value !== '')) {
    throw unauthorized('no Paddle secret key is configured');
  }
  if (typeof toleranceSeconds !== 'number' || Number.isNaN(toleranceSeconds) || toleranceSeconds < 0) {
    throw unauthorized('toleranceSeconds must be a number of seconds, 0 or more');
  }
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw unauthorized('now must be a valid Date');
  if (typeof header !== 'string' || header.trim() === '')
    throw unauthorized('missing Paddle-Signature header');

  const { timestamp, signatures } = parseHeader(header);
  const signed = concatBytes(new TextEncoder().encode(`${timestamp}:`), toBytes(payload));
  let matched = false;
  for (const key of secrets as readonly string[]) {
    const expected = await hmacSha256Hex(key, signed);
    for (const candidate of signatures) if (timingSafeEqual(candidate, expected)) matched = true;
  }
  if (!matched) throw unauthorized('no h1 signature in the Paddle-Signature header matches the payload');

  const age = Math.floor(now.getTime() / 1000) - Number(timestamp);
  if (Math.abs(age) > toleranceSeconds) {
    throw new WebhookVerificationError(
      'WEBHOOK_TIMESTAMP_OUT_OF_RANGE',
      `the Paddle-Signature timestamp is ${Math.abs(age)} s ${age > 0 ? 'old' : 'in the future'}, beyond the ${toleranceSeconds} s tolerance`,
    );
  }
}

/** Splits `ts=…;h1=…;h1=…`: exactly one all-digit `ts`, at least one `h1`; other schemes are dropped. */
function parseHeader(header: string): { timestamp: string; signatures: string[] } {
  const timestamps: string[] = [];
  const signatures: string[] = [];
  for (const element of header.split(';')) {
    const at = element.indexOf('=');
    if (at < 0) continue;
    const scheme = element.slice(0, at).trim();
    const value = element.slice(at + 1).trim();
    if (scheme === 'ts') timestamps.push(value);
    else if (scheme === 'h1') signatures.push(value.toLowerCase());
  }
  const [timestamp] = timestamps;
  if (timestamps.length !== 1 || timestamp === undefined || !/^\d{1,15}$/.test(timestamp)) {
    throw unauthorized('the Paddle-Signature header needs exactly one timestamp (ts=<unix seconds>)');
  }
  if (signatures.length === 0) throw unauthorized('the Paddle-Signature header has no h1 signature');
  return { timestamp, signatures };
}
