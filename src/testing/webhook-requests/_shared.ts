import { LicenseKitError } from '../../domain/errors.js';

/**
 * What a builder sends as the body: an object is serialized with `JSON.stringify`; a string (UTF-8)
 * or bytes are sent exactly as given, so a test can sign a re-serialized, truncated or odd body.
 */
export type WebhookBody = object | string | Uint8Array;

/** Options every webhook request builder takes. */
export interface WebhookRequestOptions {
  /** Where the request is posted. Default: `https://example.com/webhooks/<store>`. */
  url?: string;
  /** Extra headers, set after the generated ones (so they may replace them). */
  headers?: Readonly<Record<string, string>>;
}

/** Options of the builders whose store signs a timestamp (Stripe, Paddle). */
export interface TimestampedWebhookRequestOptions extends WebhookRequestOptions {
  /**
   * The time the signature claims, as a `Date` or Unix seconds (the header's unit). Default: now.
   * Pass your provider's time (e.g. `clock()` of a `fakeClock()`, not the clock itself), since
   * providers reject a timestamp outside their tolerance (Stripe 300 s, Paddle 5 s).
   */
  timestamp?: Date | number;
}

// ---------------------------------------------------------------------------------------------------
// Internals: Web Crypto and Web APIs only, so this runs in Workers and browsers too.
// ---------------------------------------------------------------------------------------------------

/** The URL a builder posts to unless told otherwise: `https://example.com/webhooks/<store>`. */
export function defaultUrl(store: string): string {
  return `https://example.com/webhooks/${store}`;
}

/** The UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
}

/** The exact bytes to send (and sign), in a fresh buffer the caller cannot change afterwards. */
export function toBytes(body: WebhookBody): Uint8Array<ArrayBuffer> {
  if (typeof body === 'string') return utf8(body);
  if (body instanceof Uint8Array) return new Uint8Array(body);
  return utf8(JSON.stringify(body));
}

/** The bytes of `a` followed by those of `b`, in a fresh buffer. */
export function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** A `POST` `Request` of `body` with `headers`, then `extra` headers set over them. */
export function post(
  url: string,
  headers: Record<string, string>,
  body: Uint8Array<ArrayBuffer>,
  extra: Readonly<Record<string, string>> = {},
): Request {
  const all = new Headers(headers);
  for (const [name, value] of Object.entries(extra)) all.set(name, value);
  return new Request(url, { method: 'POST', headers: all, body });
}

/** Returns `secret`, or throws `INVALID_INPUT` naming `<store>WebhookRequest` unless it is a non-empty string. */
export function requireSecret(secret: string, store: string): string {
  if (typeof secret !== 'string' || secret === '') {
    throw new LicenseKitError(
      'INVALID_INPUT',
      `${store}WebhookRequest: the secret must be a non-empty string`,
    );
  }
  return secret;
}

/** Unix seconds of a `Date` or of a number of seconds (one that looks like milliseconds is refused). */
export function unixSeconds(value: Date | number | undefined, name: string): number {
  if (value === undefined) return Math.floor(Date.now() / 1000);
  if (value instanceof Date) {
    const time = value.getTime();
    if (Number.isNaN(time)) throw new LicenseKitError('INVALID_INPUT', `${name} is an invalid Date`);
    return Math.floor(time / 1000);
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new LicenseKitError('INVALID_INPUT', `${name} must be a Date or whole Unix seconds, got ${value}`);
  }
  if (value >= 1e11) {
    throw new LicenseKitError(
      'INVALID_INPUT',
      `${name} ${value} looks like milliseconds: pass Unix seconds or a Date`,
    );
  }
  return value;
}

/** An ISO-8601 string: `value` itself if a string, else of the `Date` (default: now). */
export function isoOf(value: Date | string | undefined): string {
  return typeof value === 'string' ? value : (value ?? new Date()).toISOString();
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('');
}

/** `prefix` followed by 24 random hex digits. */
export function randomId(prefix: string): string {
  return `${prefix}${randomHex(12)}`;
}

/** A random positive safe integer, like the numeric ids some stores use. */
export function randomNumber(): number {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return 1 + (high! % 2 ** 8) * 2 ** 32 + low!;
}

/** Standard base64 (with padding) of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The bytes of standard base64 text. */
export function fromBase64(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
