import { type TimestampedHmacOptions, verifyTimestampedHmac } from './_timestamped-hmac.js';

/** Options of {@link verifyStripeSignature}. */
export interface VerifyStripeSignatureOptions extends TimestampedHmacOptions {
  /** The `Stripe-Signature` header (`t=…,v1=…`); `null` or `undefined` when the request has none. */
  header: string | null | undefined;
  /** The endpoint's signing secret (`whsec_…`), or several while one is rolled: any may match. */
  secret: string | readonly string[];
  /**
   * How many seconds old the signed timestamp may be. Default 300; `Infinity` disables. It may lie as
   * far in the future, and always at least 300 s (clock skew).
   */
  toleranceSeconds?: number;
}

/**
 * Checks a Stripe webhook's `Stripe-Signature` header over the raw body, with Web Crypto. The header
 * is `t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]`; the signature is HMAC-SHA256 of `<t>.<body>`
 * keyed with the secret. Any `v1` may match any secret (Stripe sends two while a secret is rolled);
 * `v0` and other schemes are ignored, so a downgrade is impossible. The signature is checked first,
 * then the timestamp, which may be at most `toleranceSeconds` old and (unlike stripe-node) at most
 * `max(toleranceSeconds, 300)` s in the future (clock skew), so a leaked signed body cannot be
 * post-dated for much later replay.
 *
 * Resolves when the body is authentic. Rejects with `WebhookVerificationError`, never another error:
 * `WEBHOOK_TIMESTAMP_OUT_OF_RANGE` for an authentic body outside the tolerance, `WEBHOOK_UNAUTHORIZED`
 * for everything else (missing or malformed header, no matching signature, a wrong-length signature,
 * a parsed object as payload, no secret). Messages never contain a secret or the expected signature.
 */
export async function verifyStripeSignature(options: VerifyStripeSignatureOptions): Promise<void> {
  await verifyTimestampedHmac(
    {
      verifier: 'verifyStripeSignature',
      secretName: 'Stripe signing secret',
      header: { name: 'Stripe-Signature', separator: ',', timestampKey: 't', signatureKey: 'v1' },
      joiner: '.',
      defaultToleranceSeconds: 300,
    },
    options,
  );
}
