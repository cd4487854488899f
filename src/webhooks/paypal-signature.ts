import { WebhookVerificationError } from '../domain/errors.js';
import { crc32 } from './_crc32.js';
import { toBytes } from './_crypto.js';
import { isToleranceSeconds } from './_tolerance.js';
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
   * Returns the text served at `url` (cache the certificates: PayPal reuses them). Called only for an
   * `https` URL on a PayPal API host (see {@link payPalCertificateHosts}). Throw only when PayPal
   * cannot be reached: that is `WEBHOOK_VERIFIER_UNAVAILABLE`, not a bad signature. For an error
   * response (a URL with no certificate, as a forged request may name) resolve its text, or `''`
   * (and do not cache it): what is not a certificate is refused as `WEBHOOK_UNAUTHORIZED`.
   */
  getCertificate: (url: string) => Promise<string>;
  /** When given, `PAYPAL-TRANSMISSION-TIME` must be within `toleranceSeconds` of it. No check otherwise. */
  now?: Date;
  /** Allowed distance between `now` and the transmission time, either way (default 300; `Infinity` disables). */
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
 * uses an expired one). The body is bound only through its CRC-32, which is not a MAC: whoever has
 * seen one signed delivery can write another body with the same CRC-32 and send it under the same
 * headers. This function cannot tell them apart; the `paypal()` provider rejects a transmission id
 * it already verified with another body. PayPal defines no replay window: pass `now` to bound the
 * transmission time (`toleranceSeconds`, default 300).
 *
 * Resolves on success; every failure rejects with `WebhookVerificationError`:
 * `WEBHOOK_VERIFIER_UNAVAILABLE` when `getCertificate` throws (PayPal unreachable: not a verdict on
 * the signature), `WEBHOOK_TIMESTAMP_OUT_OF_RANGE` for the time check, else `WEBHOOK_UNAUTHORIZED`
 * (a certificate that was fetched but does not parse included). Messages never contain the signature.
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
  if (options.now !== undefined) {
    const { toleranceSeconds = 300 } = options;
    if (!isToleranceSeconds(toleranceSeconds))
      throw fail('toleranceSeconds must be a number of seconds, 0 or more');
    checkTime(transmissionTime, options.now, toleranceSeconds);
  }

  let signatureBytes: Uint8Array;
  try {
    signatureBytes = base64ToBytes(signature.trim());
  } catch {
    throw fail('PAYPAL-TRANSMISSION-SIG is not base64');
  }
  let pem: string;
  try {
    pem = await getCertificate(certUrl);
  } catch (error) {
    throw new WebhookVerificationError(
      'WEBHOOK_VERIFIER_UNAVAILABLE',
      'the PayPal certificate could not be fetched, so the signature could not be checked',
      { cause: error },
    );
  }
  let key: CryptoKey;
  try {
    const spki = subjectPublicKeyInfo(pemCertificateToDer(pem));
    key = await crypto.subtle.importKey('spki', spki as BufferSource, algorithm, false, ['verify']);
  } catch (error) {
    throw fail('the certificate could not be read', error);
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
  // Written so that an invalid date (NaN) fails too.
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
