import { WebhookVerificationError } from '../domain/errors.js';
import { concatBytes, toBytes } from './_crypto.js';
import { checkRawPayload, hmacMatches, requireHeader, secretList, unauthorized } from './_hmac-signature.js';
import { isToleranceSeconds } from './_tolerance.js';

/**
 * Clock skew allowance: how many seconds in the future a signed timestamp may lie even when
 * `toleranceSeconds` is smaller. Network latency only makes a delivery older, so only a receiving
 * clock running behind the store's puts a timestamp ahead of `now`; a tight tolerance such as Paddle's
 * 5 s must not turn a few seconds of skew into a 401 for every genuine delivery.
 */
const clockSkewAllowanceSeconds = 300;

/** What every timestamped-HMAC verifier takes; the public option types narrow the docs per store. */
export interface TimestampedHmacOptions {
  /** The raw request body exactly as received: bytes, or a string taken as UTF-8. Never a parsed object. */
  payload: string | Uint8Array;
  /** The signature header; `null` or `undefined` when the request has none. */
  header: string | null | undefined;
  /** The secret, or several while rotating: any may match. */
  secret: string | readonly string[];
  /**
   * How many seconds old the signed timestamp may be; it may lie in the future by this much or 300 s
   * (clock skew), whichever is more. `Infinity` disables the check.
   */
  toleranceSeconds?: number;
  /** The current time. Default: the system clock. */
  now?: Date;
}

/**
 * How one store writes its header, `<timestamp key>=<unix seconds><separator><signature key>=<hex>…`,
 * and what it signs: HMAC-SHA256 of `<timestamp><joiner><body>`.
 */
export interface TimestampedHmacScheme {
  /** The public function, e.g. `verifyStripeSignature`, named when it is given a parsed object. */
  verifier: string;
  /** What the secret is called in the no-secret message, e.g. `Stripe signing secret`. */
  secretName: string;
  /** The header's name as messages print it and how its elements are written. */
  header: { name: string; separator: string; timestampKey: string; signatureKey: string };
  /** What joins the timestamp to the body in the signed message: `.` for Stripe, `:` for Paddle. */
  joiner: string;
  /** The tolerance when the caller passes none. */
  defaultToleranceSeconds: number;
}

/**
 * Checks `options.header` over the raw body as `scheme` says: the signature first (any signature
 * under its key may match any secret; other keys are ignored), then the timestamp, at most
 * `toleranceSeconds` old and at most `max(toleranceSeconds, 300)` in the future (clock skew).
 * Rejects with `WebhookVerificationError` only:
 * `WEBHOOK_TIMESTAMP_OUT_OF_RANGE` for an authentic body outside the tolerance, else `WEBHOOK_UNAUTHORIZED`.
 */
export async function verifyTimestampedHmac(
  scheme: TimestampedHmacScheme,
  options: TimestampedHmacOptions,
): Promise<void> {
  const {
    payload,
    header,
    secret,
    toleranceSeconds = scheme.defaultToleranceSeconds,
    now = new Date(),
  } = options;
  checkRawPayload(payload, scheme.verifier);
  const secrets = secretList(secret, scheme.secretName);
  if (!isToleranceSeconds(toleranceSeconds)) {
    throw unauthorized('toleranceSeconds must be a number of seconds, 0 or more');
  }
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw unauthorized('now must be a valid Date');
  const { name, signatureKey } = scheme.header;

  const { timestamp, signatures } = parseHeader(requireHeader(header, name), scheme.header);
  const signed = concatBytes(new TextEncoder().encode(`${timestamp}${scheme.joiner}`), toBytes(payload));
  if (!(await hmacMatches(secrets, signed, signatures))) {
    throw unauthorized(`no ${signatureKey} signature in the ${name} header matches the payload`);
  }

  const age = Math.floor(now.getTime() / 1000) - Number(timestamp);
  const limit = age >= 0 ? toleranceSeconds : Math.max(toleranceSeconds, clockSkewAllowanceSeconds);
  if (Math.abs(age) > limit) {
    throw new WebhookVerificationError(
      'WEBHOOK_TIMESTAMP_OUT_OF_RANGE',
      `the ${name} timestamp is ${Math.abs(age)} s ${age > 0 ? 'old' : 'in the future'}, beyond the ${limit} s tolerance`,
    );
  }
}

/**
 * Splits the header at `separator` into `key=value` elements: exactly one all-digit timestamp, at
 * least one signature (lower-cased); elements under other keys are dropped.
 */
function parseHeader(
  header: string,
  format: TimestampedHmacScheme['header'],
): { timestamp: string; signatures: string[] } {
  const { name, separator, timestampKey, signatureKey } = format;
  const timestamps: string[] = [];
  const signatures: string[] = [];
  for (const element of header.split(separator)) {
    const at = element.indexOf('=');
    if (at < 0) continue;
    const key = element.slice(0, at).trim();
    const value = element.slice(at + 1).trim();
    if (key === timestampKey) timestamps.push(value);
    else if (key === signatureKey) signatures.push(value.toLowerCase());
  }
  const [timestamp] = timestamps;
  if (timestamps.length !== 1 || timestamp === undefined || !/^\d{1,15}$/.test(timestamp)) {
    throw unauthorized(`the ${name} header needs exactly one timestamp (${timestampKey}=<unix seconds>)`);
  }
  if (signatures.length === 0) throw unauthorized(`the ${name} header has no ${signatureKey} signature`);
  return { timestamp, signatures };
}
