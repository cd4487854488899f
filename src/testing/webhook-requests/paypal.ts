import { formatMinorUnits } from '../../domain/currency.js';
import { LicenseKitError } from '../../domain/errors.js';
import { crc32 } from '../../webhooks/_crc32.js';
import { importPkcs8, rsa, selfSignedCertificate } from './_paypal-crypto.js';
import {
  defaultUrl,
  isoOf,
  post,
  randomId,
  toBase64,
  toBytes,
  utf8,
  type WebhookBody,
  type WebhookRequestOptions,
} from './_shared.js';

/**
 * A Web Crypto `CryptoKey`, named by its shape: Node 20's types have no global `CryptoKey`, and these
 * declarations must compile in Node projects without the DOM lib. Every `CryptoKey` is one.
 */
export interface WebCryptoKey {
  readonly type: string;
  readonly extractable: boolean;
  readonly algorithm: { readonly name: string };
  readonly usages: readonly string[];
}

/** Options of {@link paypalWebhookRequest}. */
export interface PayPalWebhookRequestOptions extends WebhookRequestOptions {
  /**
   * The RSA key that signs: a `CryptoKey` (RSASSA-PKCS1-v1_5, SHA-256, usage `sign`) or a PKCS#8 PEM
   * (`-----BEGIN PRIVATE KEY-----`). {@link paypalTestCredentials} makes one with its certificate.
   */
  privateKey: WebCryptoKey | string;
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
    typeof options.privateKey === 'string'
      ? await importPkcs8(options.privateKey)
      : (options.privateKey as CryptoKey);
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
  privateKey: WebCryptoKey;
  /** The self-signed X.509 certificate of the matching public key, as PEM. */
  certificate: string;
  /** The URL the certificate is served at (a PayPal API host, as verifiers require). */
  certUrl: string;
  /**
   * Resolves to `certificate` for `certUrl` and to `''` for any other URL, as a `getCertificate`
   * answering PayPal's error response should (so a forged certificate URL is a 401): pass it to
   * `paypal()`.
   */
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
      return url === certUrl ? certificate : '';
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

/** ISO-8601 UTC without milliseconds, as PayPal writes its transmission time. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
