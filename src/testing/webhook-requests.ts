import { formatMinorUnits } from '../domain/currency.js';
import { LicenseKitError } from '../domain/errors.js';
import { crc32 } from '../webhooks/_crc32.js';
import { hmacSha256Hex } from '../webhooks/_crypto.js';

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
   * Pass your provider's clock (e.g. a `fakeClock()`), since providers reject a timestamp outside
   * their tolerance (Stripe 300 s, Paddle 5 s).
   */
  timestamp?: Date | number;
}

/** Options of {@link lemonSqueezyWebhookRequest}. */
export interface LemonSqueezyWebhookRequestOptions extends WebhookRequestOptions {
  /** The `X-Event-Name` header. Default: the payload's `meta.event_name`. */
  eventName?: string;
}

/** Options of {@link gumroadPingRequest}. */
export interface GumroadPingRequestOptions extends WebhookRequestOptions {
  /** The secret URL token `gumroad({ token })` expects, sent as `?token=`. Default: none. */
  token?: string;
}

/** Options of {@link paypalWebhookRequest}. */
export interface PayPalWebhookRequestOptions extends WebhookRequestOptions {
  /**
   * The RSA key that signs: a `CryptoKey` (RSASSA-PKCS1-v1_5, SHA-256, usage `sign`) or a PKCS#8 PEM
   * (`-----BEGIN PRIVATE KEY-----`). {@link paypalTestCredentials} makes one with its certificate.
   */
  privateKey: CryptoKey | string;
  /** Your webhook id, as configured in `paypal({ webhookId })`. */
  webhookId: string;
  /** The `PAYPAL-CERT-URL` header. Default: {@link defaultPayPalTestCertUrl}. */
  certUrl?: string;
  /** The `PAYPAL-TRANSMISSION-ID` header. Default: a random UUID. */
  transmissionId?: string;
  /** The `PAYPAL-TRANSMISSION-TIME` header; a string is sent (and signed) as given. Default: now. */
  transmissionTime?: Date | string;
}

/** The certificate URL PayPal requests carry unless told otherwise: on a host PayPal verifiers accept. */
export const defaultPayPalTestCertUrl =
  'https://api.paypal.com/v1/notifications/certs/CERT-licensekit-test-0001';

/**
 * A Stripe webhook `Request` with a valid `Stripe-Signature` (`t=<seconds>,v1=<HMAC-SHA256 of
 * "<t>.<body>">`) for `secret`, posted as `application/json`. Pass it to `stripe({ signingSecret })`
 * or to your handler. The body is exactly the bytes signed.
 */
export async function stripeWebhookRequest(
  event: WebhookBody,
  secret: string,
  options: TimestampedWebhookRequestOptions = {},
): Promise<Request> {
  const body = toBytes(event);
  const t = unixSeconds(options.timestamp, 'timestamp');
  const signature = await hmacSha256Hex(requireSecret(secret, 'stripe'), concat(utf8(`${t}.`), body));
  return post(
    options.url ?? defaultUrl('stripe'),
    { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': `t=${t},v1=${signature}` },
    body,
    options.headers,
  );
}

/**
 * A Lemon Squeezy webhook `Request` with a valid `X-Signature` (hex HMAC-SHA256 of the raw body) for
 * `secret` and the `X-Event-Name` header, posted as `application/json`.
 */
export async function lemonSqueezyWebhookRequest(
  payload: WebhookBody,
  secret: string,
  options: LemonSqueezyWebhookRequestOptions = {},
): Promise<Request> {
  const body = toBytes(payload);
  const signature = await hmacSha256Hex(requireSecret(secret, 'lemonSqueezy'), body);
  const eventName = options.eventName ?? eventNameOf(payload);
  return post(
    options.url ?? defaultUrl('lemonsqueezy'),
    {
      'content-type': 'application/json',
      'x-signature': signature,
      ...(eventName === undefined ? {} : { 'x-event-name': eventName }),
    },
    body,
    options.headers,
  );
}

/**
 * A Paddle Billing webhook `Request` with a valid `Paddle-Signature` (`ts=<seconds>;h1=<HMAC-SHA256
 * of "<ts>:<body>">`) for `secret`, posted as `application/json`. Paddle's tolerance is 5 s, so pass
 * `timestamp` from the clock your provider uses.
 */
export async function paddleWebhookRequest(
  payload: WebhookBody,
  secret: string,
  options: TimestampedWebhookRequestOptions = {},
): Promise<Request> {
  const body = toBytes(payload);
  const ts = unixSeconds(options.timestamp, 'timestamp');
  const signature = await hmacSha256Hex(requireSecret(secret, 'paddle'), concat(utf8(`${ts}:`), body));
  return post(
    options.url ?? defaultUrl('paddle'),
    { 'content-type': 'application/json', 'paddle-signature': `ts=${ts};h1=${signature}` },
    body,
    options.headers,
  );
}

/**
 * A Gumroad ping `Request`: `fields` form-encoded (`application/x-www-form-urlencoded`, as Gumroad
 * posts them) and `token`, if given, appended to the URL as `?token=` (other query parameters of
 * `url` are kept). Async like the other builders, though Gumroad signs nothing.
 */
export async function gumroadPingRequest(
  fields: Readonly<Record<string, string>>,
  options: GumroadPingRequestOptions = {},
): Promise<Request> {
  const url = new URL(options.url ?? defaultUrl('gumroad'));
  if (options.token !== undefined) url.searchParams.set('token', options.token);
  return post(
    url.href,
    { 'content-type': 'application/x-www-form-urlencoded' },
    utf8(new URLSearchParams(fields).toString()),
    options.headers,
  );
}

/**
 * A PayPal webhook `Request` signed with the offline scheme `paypal({ verify: { getCertificate } })`
 * checks: `PAYPAL-TRANSMISSION-SIG` is the base64 RSASSA-PKCS1-v1_5 SHA-256 signature of
 * `<transmission id>|<transmission time>|<webhook id>|<CRC-32 of the body>`, with
 * `PAYPAL-AUTH-ALGO: SHA256withRSA` and `PAYPAL-CERT-URL`. The verifier needs the certificate of
 * `privateKey`'s public key at that URL: {@link paypalTestCredentials} makes both.
 */
export async function paypalWebhookRequest(
  event: WebhookBody,
  options: PayPalWebhookRequestOptions,
): Promise<Request> {
  const { webhookId } = options;
  if (typeof webhookId !== 'string' || webhookId === '') {
    throw new LicenseKitError('INVALID_INPUT', 'paypalWebhookRequest: webhookId must be a non-empty string');
  }
  const body = toBytes(event);
  const key =
    typeof options.privateKey === 'string' ? await importPkcs8(options.privateKey) : options.privateKey;
  const transmissionId = options.transmissionId ?? crypto.randomUUID();
  const time = options.transmissionTime ?? new Date();
  const transmissionTime = typeof time === 'string' ? time : isoSeconds(time);
  const message = `${transmissionId}|${transmissionTime}|${webhookId}|${crc32(body)}`;
  const signature = new Uint8Array(await crypto.subtle.sign(rsa, key, utf8(message)));
  return post(
    options.url ?? defaultUrl('paypal'),
    {
      'content-type': 'application/json',
      'paypal-transmission-id': transmissionId,
      'paypal-transmission-time': transmissionTime,
      'paypal-transmission-sig': toBase64(signature),
      'paypal-cert-url': options.certUrl ?? defaultPayPalTestCertUrl,
      'paypal-auth-algo': 'SHA256withRSA',
    },
    body,
    options.headers,
  );
}

/** A signing key, its self-signed certificate, and a `getCertificate` serving it, for PayPal tests. */
export interface PayPalTestCredentials {
  /** The RSA private key (2048 bits) to pass to {@link paypalWebhookRequest}. */
  privateKey: CryptoKey;
  /** The self-signed X.509 certificate of the matching public key, as PEM. */
  certificate: string;
  /** The URL the certificate is served at (a PayPal API host, as verifiers require). */
  certUrl: string;
  /** Resolves to `certificate` for `certUrl` and rejects for any other URL: pass it to `paypal()`. */
  getCertificate(url: string): Promise<string>;
}

/**
 * Generates an RSA key and a self-signed certificate for it (Web Crypto only), so PayPal wiring can
 * be tested offline:
 * `const credentials = await paypalTestCredentials();`
 * `paypal({ webhookId, verify: { getCertificate: credentials.getCertificate } })` and
 * `paypalWebhookRequest(event, { ...credentials, webhookId })`.
 */
export async function paypalTestCredentials(
  options: { certUrl?: string } = {},
): Promise<PayPalTestCredentials> {
  const certUrl = options.certUrl ?? defaultPayPalTestCertUrl;
  const keys = await crypto.subtle.generateKey(
    { ...rsa, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
    false,
    ['sign', 'verify'],
  );
  const certificate = await selfSignedCertificate(keys);
  return {
    privateKey: keys.privateKey,
    certificate,
    certUrl,
    async getCertificate(url: string): Promise<string> {
      if (url !== certUrl) throw new Error(`paypalTestCredentials: no certificate is served at ${url}`);
      return certificate;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Store payloads: the smallest documented payloads each normalizer turns into a live `sale`.
// ---------------------------------------------------------------------------------------------------

/** A Stripe Event envelope, as {@link stripeEvent} builds it. */
export interface StripeTestEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  livemode: boolean;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  type: string;
  data: { object: Record<string, unknown> };
}

/** Options of {@link stripeEvent}. */
export interface StripeEventOptions {
  /** The event `id`. Default: a random `evt_test_…`. */
  eventId?: string;
  /** When the event was created, as a `Date` or Unix seconds. Default: now. */
  created?: Date | number;
  /**
   * Default `true`: the normalizer marks `livemode: false` events as test purchases, which the
   * manager records without issuing a license unless `processTestPurchases` is set.
   */
  livemode?: boolean;
}

/**
 * A Stripe Event of `type` around `object` (its `data.object`), e.g. a refund:
 * `stripeEvent('charge.refunded', { id: 'ch_1', amount: 1000, amount_refunded: 1000, currency: 'usd', payment_intent: 'pi_1', … })`.
 */
export function stripeEvent(
  type: string,
  object: Record<string, unknown>,
  options: StripeEventOptions = {},
): StripeTestEvent {
  return {
    id: options.eventId ?? randomId('evt_test_'),
    object: 'event',
    api_version: '2025-03-31.basil',
    created: unixSeconds(options.created, 'created'),
    livemode: options.livemode ?? true,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

/** Input of {@link stripeCheckoutCompletedEvent}. */
export interface StripeCheckoutCompletedInput extends StripeEventOptions {
  email: string;
  /** Sent as the session's `metadata.product_id`. */
  productId: string;
  /** `amount_total` in minor units. Default 1000. */
  amount?: number;
  /** Default `usd`. */
  currency?: string;
  /** The payment intent, the sale id in payment mode. Default: a random `pi_test_…`. */
  paymentIntent?: string;
  /** Makes it a subscription-mode session for this subscription (the sale id then), without a payment intent. */
  subscription?: string;
  customerName?: string;
}

/**
 * A paid `checkout.session.completed` Event. For a delayed payment method, reuse its session:
 * `stripeEvent('checkout.session.async_payment_succeeded', completed.data.object)`.
 */
export function stripeCheckoutCompletedEvent(input: StripeCheckoutCompletedInput): StripeTestEvent {
  const subscription = input.subscription ?? null;
  const amount = input.amount ?? 1000;
  return stripeEvent(
    'checkout.session.completed',
    {
      id: randomId('cs_test_'),
      object: 'checkout.session',
      mode: subscription === null ? 'payment' : 'subscription',
      status: 'complete',
      payment_status: 'paid',
      amount_subtotal: amount,
      amount_total: amount,
      currency: input.currency ?? 'usd',
      customer: null,
      customer_email: null,
      customer_details: { email: input.email, name: input.customerName ?? null },
      metadata: { product_id: input.productId },
      payment_intent: subscription === null ? (input.paymentIntent ?? randomId('pi_test_')) : null,
      subscription,
    },
    input,
  );
}

/** Input of {@link gumroadSaleFields}. */
export interface GumroadSaleInput {
  email: string;
  productId: string;
  productName?: string;
  /** `price` in cents. Default 1000. */
  price?: number;
  /** Default `usd`. */
  currency?: string;
  /** Default: a random id. */
  saleId?: string;
  /** Sent as `seller_id` only when given: set it when your provider checks `sellerId`. */
  sellerId?: string;
  fullName?: string;
  /** Default: now. */
  saleTimestamp?: Date | string;
  /** Gumroad's own license key, when the product has one. */
  licenseKey?: string;
  /** Sends `test=true` (a test purchase: recorded, no license unless `processTestPurchases`). */
  test?: boolean;
}

/**
 * The form fields of a Gumroad `sale` ping. The same sale's refund is
 * `{ ...fields, resource_name: 'refund', refunded: 'true' }`; its dispute `resource_name: 'dispute'`.
 */
export function gumroadSaleFields(input: GumroadSaleInput): Record<string, string> {
  return {
    ...(input.sellerId === undefined ? {} : { seller_id: input.sellerId }),
    sale_id: input.saleId ?? randomId('sale-'),
    sale_timestamp: isoOf(input.saleTimestamp),
    product_id: input.productId,
    product_name: input.productName ?? input.productId,
    email: input.email,
    full_name: input.fullName ?? '',
    price: String(input.price ?? 1000),
    currency: input.currency ?? 'usd',
    quantity: '1',
    resource_name: 'sale',
    refunded: 'false',
    disputed: 'false',
    dispute_won: 'false',
    ...(input.licenseKey === undefined ? {} : { license_key: input.licenseKey }),
    ...(input.test ? { test: 'true' } : {}),
  };
}

/** Input of {@link lemonSqueezyOrderCreatedEvent}. */
export interface LemonSqueezyOrderInput {
  email: string;
  /** `first_order_item.product_id` (Lemon Squeezy sends a number). */
  productId: number | string;
  productName?: string;
  /** The variant's name, which becomes the tier. */
  variantName?: string;
  /** `total` in minor units. Default 1000. */
  total?: number;
  /** Default `USD`. */
  currency?: string;
  /** `data.id`, the sale id. Default: a random number. */
  orderId?: string | number;
  customerName?: string;
  /** `created_at` and `updated_at`. Default: now. */
  createdAt?: Date | string;
  /** Marks a test-mode order. Default false. */
  testMode?: boolean;
}

/**
 * The body of a paid Lemon Squeezy `order_created` webhook (JSON:API). Its refund: the same order
 * with `meta.event_name: 'order_refunded'`, `status: 'refunded'`, `refunded: true`,
 * `refunded_amount`, `refunded_at` and a later `updated_at`.
 */
export function lemonSqueezyOrderCreatedEvent(input: LemonSqueezyOrderInput) {
  const at = isoOf(input.createdAt);
  const total = input.total ?? 1000;
  const testMode = input.testMode ?? false;
  return {
    meta: { event_name: 'order_created', test_mode: testMode },
    data: {
      type: 'orders',
      id: String(input.orderId ?? randomNumber()),
      attributes: {
        customer_id: randomNumber(),
        user_name: input.customerName ?? '',
        user_email: input.email,
        currency: input.currency ?? 'USD',
        subtotal: total,
        total,
        status: 'paid',
        refunded: false,
        refunded_at: null,
        refunded_amount: 0,
        first_order_item: {
          product_id: input.productId,
          product_name: input.productName ?? String(input.productId),
          variant_name: input.variantName ?? null,
          price: total,
          quantity: 1,
        },
        created_at: at,
        updated_at: at,
        test_mode: testMode,
      },
    },
  };
}

/** Input of {@link paddleTransactionCompletedEvent}. */
export interface PaddleTransactionInput {
  /** Sent as `custom_data.email` (Paddle transactions carry no email otherwise). */
  email: string;
  /** The first item's `price.product_id` (`pro_…`). */
  productId: string;
  productName?: string;
  /** `details.totals.grand_total` in minor units. Default 1000. */
  amount?: number;
  /** Default `USD`. */
  currency?: string;
  /** `data.id`, the sale id. Default: a random `txn_…`. */
  transactionId?: string;
  /** Links the sale to a subscription (for renewals and cancellations). */
  subscriptionId?: string;
  /** `event_id`. Default: a random `evt_…`. */
  eventId?: string;
  /** `occurred_at` and `billed_at`. Default: now. */
  occurredAt?: Date | string;
}

/** A Paddle Billing `transaction.completed` notification for a checkout (`origin: web`). */
export function paddleTransactionCompletedEvent(input: PaddleTransactionInput) {
  const at = isoOf(input.occurredAt);
  const amount = String(input.amount ?? 1000);
  const currency = input.currency ?? 'USD';
  return {
    event_id: input.eventId ?? randomId('evt_'),
    event_type: 'transaction.completed',
    occurred_at: at,
    notification_id: randomId('ntf_'),
    data: {
      id: input.transactionId ?? randomId('txn_'),
      status: 'completed',
      customer_id: randomId('ctm_'),
      custom_data: { email: input.email },
      currency_code: currency,
      origin: 'web',
      subscription_id: input.subscriptionId ?? null,
      billed_at: at,
      items: [
        {
          price: { id: randomId('pri_'), product_id: input.productId, name: null },
          product: { id: input.productId, name: input.productName ?? input.productId },
          quantity: 1,
        },
      ],
      details: {
        totals: { subtotal: amount, tax: '0', total: amount, grand_total: amount, currency_code: currency },
      },
    },
  };
}

/** Input of {@link paypalCaptureCompletedEvent}. */
export interface PayPalCaptureInput {
  /** Sent in the capture's `custom_id` (`product=…&email=…`), as licensekit's PayPal normalizer reads it. */
  email: string;
  productId: string;
  /** In minor units; sent as PayPal's decimal string. Default 1000. */
  amount?: number;
  /** Default `USD`. */
  currency?: string;
  /** The capture id, the sale id. Default: random. */
  captureId?: string;
  /** The event id (`WH-…`). Default: random. */
  eventId?: string;
  /** The event's and capture's `create_time`. Default: now. */
  createTime?: Date | string;
  /** Links point at the sandbox, which makes it a test purchase. Default false. */
  sandbox?: boolean;
}

/** A PayPal `PAYMENT.CAPTURE.COMPLETED` webhook event. */
export function paypalCaptureCompletedEvent(input: PayPalCaptureInput) {
  const at = isoOf(input.createTime);
  const currency = (input.currency ?? 'USD').toUpperCase();
  const captureId = input.captureId ?? randomId('').slice(0, 17).toUpperCase();
  const eventId = input.eventId ?? `WH-${randomId('').slice(0, 24).toUpperCase()}`;
  const api = input.sandbox ? 'https://api.sandbox.paypal.com' : 'https://api.paypal.com';
  return {
    id: eventId,
    event_version: '1.0',
    create_time: at,
    resource_type: 'capture',
    resource_version: '2.0',
    event_type: 'PAYMENT.CAPTURE.COMPLETED',
    summary: 'Payment completed',
    resource: {
      id: captureId,
      status: 'COMPLETED',
      amount: { currency_code: currency, value: formatMinorUnits(input.amount ?? 1000, currency) },
      final_capture: true,
      custom_id: new URLSearchParams({ product: input.productId, email: input.email }).toString(),
      create_time: at,
      update_time: at,
      links: [{ href: `${api}/v2/payments/captures/${captureId}`, rel: 'self', method: 'GET' }],
    },
    links: [{ href: `${api}/v1/notifications/webhooks-events/${eventId}`, rel: 'self', method: 'GET' }],
  };
}

// ---------------------------------------------------------------------------------------------------
// Internals: Web Crypto and Web APIs only, so this runs in Workers and browsers too.
// ---------------------------------------------------------------------------------------------------

const rsa = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

function defaultUrl(store: string): string {
  return `https://example.com/webhooks/${store}`;
}

function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
}

/** The exact bytes to send (and sign), in a fresh buffer the caller cannot change afterwards. */
function toBytes(body: WebhookBody): Uint8Array<ArrayBuffer> {
  if (typeof body === 'string') return utf8(body);
  if (body instanceof Uint8Array) return new Uint8Array(body);
  return utf8(JSON.stringify(body));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

function post(
  url: string,
  headers: Record<string, string>,
  body: Uint8Array<ArrayBuffer>,
  extra: Readonly<Record<string, string>> = {},
): Request {
  const all = new Headers(headers);
  for (const [name, value] of Object.entries(extra)) all.set(name, value);
  return new Request(url, { method: 'POST', headers: all, body });
}

function requireSecret(secret: string, store: string): string {
  if (typeof secret !== 'string' || secret === '') {
    throw new LicenseKitError(
      'INVALID_INPUT',
      `${store}WebhookRequest: the secret must be a non-empty string`,
    );
  }
  return secret;
}

/** Unix seconds of a `Date` or of a number of seconds (one that looks like milliseconds is refused). */
function unixSeconds(value: Date | number | undefined, name: string): number {
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

function isoOf(value: Date | string | undefined): string {
  return typeof value === 'string' ? value : (value ?? new Date()).toISOString();
}

/** ISO-8601 UTC without milliseconds, as PayPal writes its transmission time. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function eventNameOf(payload: WebhookBody): string | undefined {
  let value: unknown = payload;
  if (typeof payload === 'string' || payload instanceof Uint8Array) {
    try {
      value = JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
    } catch {
      return undefined;
    }
  }
  const meta = typeof value === 'object' && value !== null ? Reflect.get(value, 'meta') : undefined;
  const name = typeof meta === 'object' && meta !== null ? Reflect.get(meta, 'event_name') : undefined;
  // Only what a header can carry: Latin-1 without NUL, CR or LF.
  return typeof name === 'string' && /^[^\0\r\n\u0100-\uffff]*$/.test(name) ? name : undefined;
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('');
}

function randomId(prefix: string): string {
  return `${prefix}${randomHex(12)}`;
}

function randomNumber(): number {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return 1 + (high! % 2 ** 8) * 2 ** 32 + low!;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function importPkcs8(pem: string): Promise<CryptoKey> {
  const match = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(pem);
  if (match === null) {
    throw new LicenseKitError(
      'INVALID_INPUT',
      'paypalWebhookRequest: privateKey must be a CryptoKey or a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----); convert an RSA PEM with `openssl pkcs8 -topk8 -nocrypt`',
    );
  }
  return crypto.subtle.importKey('pkcs8', fromBase64(match[1]!.replace(/\s+/g, '')), rsa, false, ['sign']);
}

/** One DER element: `tag`, the definite length, then the concatenated `parts`. */
function der(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((total, part) => total + part.length, 0);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  const header = length < 0x80 ? [tag, length] : [tag, 0x80 | octets.length, ...octets];
  const element = new Uint8Array(header.length + length);
  element.set(header);
  let offset = header.length;
  for (const part of parts) {
    element.set(part, offset);
    offset += part.length;
  }
  return element;
}

const bytes = (...values: number[]) => new Uint8Array(values);
/** AlgorithmIdentifier sha256WithRSAEncryption (1.2.840.113549.1.1.11) with NULL parameters. */
const sha256WithRsa = der(
  0x30,
  bytes(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b),
  bytes(0x05, 0x00),
);

/** An X.509 v3 certificate for `keys.publicKey`, issued by itself, valid 2000–2049, as PEM. */
async function selfSignedCertificate(keys: CryptoKeyPair): Promise<string> {
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey));
  const commonName = der(0x0c, utf8('licensekit PayPal test'));
  const name = der(0x30, der(0x31, der(0x30, bytes(0x06, 0x03, 0x55, 0x04, 0x03), commonName)));
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0]! & 0x3f) | 0x40; // positive, minimal, non-zero
  const tbs = der(
    0x30,
    der(0xa0, der(0x02, bytes(0x02))),
    der(0x02, serial),
    sha256WithRsa,
    name,
    der(0x30, der(0x17, utf8('000101000000Z')), der(0x17, utf8('491231235959Z'))),
    name,
    spki,
  );
  const signature = new Uint8Array(await crypto.subtle.sign(rsa, keys.privateKey, tbs as BufferSource));
  const certificate = der(0x30, tbs, sha256WithRsa, der(0x03, bytes(0x00), signature));
  const lines = toBase64(certificate).match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
