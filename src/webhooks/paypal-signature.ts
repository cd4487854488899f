import { WebhookVerificationError } from '../domain/errors.js';
import { crc32 } from './_crc32.js';
import { toBytes } from './_crypto.js';
import { base64ToBytes, pemCertificateToDer, subjectPublicKeyInfo } from './_x509.js';

/** Options of {@link verifyPayPalSignature}. */
export interface VerifyPayPalSignatureOptions {
  /** The raw request body, exactly as received (a string is taken as UTF-8). */
  payload: string | Uint8Array;
  /** The request's headers (`PAYPAL-TRANSMISSION-ID`, `-TIME`, `-SIG`, `PAYPAL-CERT-URL`, `PAYPAL-AUTH-ALGO`). */
  headers: Headers | Readonly<Record<string, string | undefined>>;
  /** Your webhook's id from the PayPal developer dashboard (not the event's id). */
  webhookId: string;
  /**
   * Returns the PEM text served at `url` (cache it: PayPal reuses certificates). Called only for an
   * `https` URL on a PayPal API host (see {@link payPalCertificateHosts}).
   */
  getCertificate: (url: string) => Promise<string>;
  /** When given, `PAYPAL-TRANSMISSION-TIME` must be within `toleranceSeconds` of it. No check otherwise. */
  now?: Date;
  /** Allowed distance between `now` and the transmission time, either way (default 300). */
  toleranceSeconds?: number;
}

/**
 * The hosts a `PAYPAL-CERT-URL` may point at: PayPal's live and sandbox REST API hosts, exactly.
 * Wildcards such as `*.paypal.com` are not accepted: the certificate is what the signature is checked
 * against, so it must come from the API that issues it, not any PayPal web property.
 */
export const payPalCertificateHosts: readonly string[] = Object.freeze([
  'api.paypal.com',
  'api-m.paypal.com',
  'api.sandbox.paypal.com',
  'api-m.sandbox.paypal.com',
]);

const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

const fail = (reason: string, cause?: unknown) =>
  new WebhookVerificationError(
    'WEBHOOK_UNAUTHORIZED',
    `the PayPal signature could not be verified: ${reason}`,
    {
      cause,
    },
  );

/**
 * Verifies a PayPal webhook offline, as PayPal's SDKs did: the signed message is
 * `<transmission id>|<transmission time>|<webhook id>|<CRC-32 of the raw body, unsigned decimal>`,
 * `PAYPAL-TRANSMISSION-SIG` is its base64 RSA PKCS#1 v1.5 signature with SHA-256 (`PAYPAL-AUTH-ALGO`
 * must be `SHA256withRSA`), and the key is the one in the certificate at `PAYPAL-CERT-URL`, which
 * must be `https` on a {@link payPalCertificateHosts} host (checked before `getCertificate` is called).
 *
 * Trust comes from fetching the certificate from PayPal's own API host over HTTPS; the certificate's
 * chain and validity dates are not checked (Web Crypto cannot, and PayPal's published test vector
 * uses an expired one). PayPal defines no replay window: pass `now` to bound the transmission time
 * (`toleranceSeconds`, default 300); redeliveries of one event keep its event id, which the manager
 * deduplicates anyway. Resolves on success; every failure, including a `getCertificate` that throws or
 * a certificate that does not parse, rejects with `WebhookVerificationError` (`WEBHOOK_UNAUTHORIZED`,
 * or `WEBHOOK_TIMESTAMP_OUT_OF_RANGE` for the time check). Messages never contain the signature.
 */
export async function verifyPayPalSignature(options: VerifyPayPalSignatureOptions): Promise<void> {
  try {
    await verify(options);
  } catch (error) {
    if (error instanceof WebhookVerificationError) throw error;
    throw fail('the request could not be checked', error);
  }
}

async function verify(options: VerifyPayPalSignatureOptions): Promise<void> {
  const { payload, headers, webhookId, getCertificate } = options;
  const header = (name: string) => readHeader(headers, name);
  const transmissionId = header('paypal-transmission-id');
  const transmissionTime = header('paypal-transmission-time');
  const signature = header('paypal-transmission-sig');
  const certUrl = header('paypal-cert-url');
  const authAlgo = header('paypal-auth-algo');
  if (!transmissionId || !transmissionTime || !signature || !certUrl || !authAlgo) {
    throw fail('a PAYPAL-* signature header is missing');
  }
  if (typeof webhookId !== 'string' || webhookId === '') throw fail('no webhook id is configured');
  if (authAlgo !== 'SHA256withRSA') throw fail('PAYPAL-AUTH-ALGO must be SHA256withRSA');
  if (!isPayPalCertificateUrl(certUrl)) throw fail('PAYPAL-CERT-URL is not on a PayPal API host');
  if (options.now !== undefined) checkTime(transmissionTime, options.now, options.toleranceSeconds ?? 300);

  let signatureBytes: Uint8Array;
  try {
    signatureBytes = base64ToBytes(signature.trim());
  } catch {
    throw fail('PAYPAL-TRANSMISSION-SIG is not base64');
  }
  let key: CryptoKey;
  try {
    const spki = subjectPublicKeyInfo(pemCertificateToDer(await getCertificate(certUrl)));
    key = await crypto.subtle.importKey('spki', spki as BufferSource, algorithm, false, ['verify']);
  } catch (error) {
    throw fail('the certificate could not be fetched or read', error);
  }
  const message = `${transmissionId}|${transmissionTime}|${webhookId}|${crc32(toBytes(payload))}`;
  const valid = await crypto.subtle.verify(
    algorithm,
    key,
    signatureBytes as BufferSource,
    toBytes(message) as BufferSource,
  );
  if (!valid) throw fail('the signature does not match');
}

/** True for an `https` URL on a PayPal API host, on the default port, without credentials. */
function isPayPalCertificateUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    url.protocol === 'https:' &&
    url.username === '' &&
    url.password === '' &&
    url.port === '' &&
    payPalCertificateHosts.includes(url.hostname)
  );
}

function checkTime(transmissionTime: string, now: Date, toleranceSeconds: number): void {
  const sent = Date.parse(transmissionTime);
  // Written so that an invalid date or tolerance (NaN) fails too.
  if (!(Math.abs(now.getTime() - sent) <= toleranceSeconds * 1000)) {
    throw new WebhookVerificationError(
      'WEBHOOK_TIMESTAMP_OUT_OF_RANGE',
      `the PayPal transmission time is more than ${toleranceSeconds} s from now`,
    );
  }
}

function readHeader(headers: VerifyPayPalSignatureOptions['headers'], name: string): string | undefined {
  if (typeof headers?.get === 'function') return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}
