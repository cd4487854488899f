import { type TimestampedHmacOptions, verifyTimestampedHmac } from './_timestamped-hmac.js';

/** Options of {@link verifyPaddleSignature}. */
export interface VerifyPaddleSignatureOptions extends TimestampedHmacOptions {
  /** The `Paddle-Signature` header (`ts=…;h1=…`); `null` or `undefined` when the request has none. */
  header: string | null | undefined;
  /** The notification destination's secret key (`pdl_ntfset_…`), or several while rotating: any may match. */
  secret: string | readonly string[];
  /**
   * How many seconds old the signed timestamp may be. Default 5 (Paddle's SDKs); `Infinity` disables.
   * A timestamp in the future (the receiving clock behind Paddle's) may be up to 300 s ahead, or
   * `toleranceSeconds` when larger.
   */
  toleranceSeconds?: number;
}

/**
 * Checks a Paddle Billing webhook's `Paddle-Signature` header over the raw body, with Web Crypto. The
 * header is `ts=<unix seconds>;h1=<hex>[;h1=<hex>…]`; the signature is HMAC-SHA256 of `<ts>:<body>`
 * (a colon) keyed with the secret key as-is. Any `h1` may match any secret (as Paddle's Python SDK;
 * the Node SDK keeps only the last `h1`); unknown schemes such as `h2` are ignored. The signature is
 * checked first, then the timestamp: at most `toleranceSeconds` old, as the SDKs do. Unlike the SDKs
 * it also bounds the future, but only to absorb clock skew: at most 300 s (or `toleranceSeconds`,
 * when larger) ahead of `now`, so a server whose clock lags Paddle's still accepts genuine
 * deliveries while a signed body cannot be post-dated for much later replay.
 *
 * Resolves when the body is authentic. Rejects with `WebhookVerificationError`, never another error:
 * `WEBHOOK_TIMESTAMP_OUT_OF_RANGE` for an authentic body outside the tolerance, `WEBHOOK_UNAUTHORIZED`
 * for everything else (missing or malformed header, no matching signature, a wrong-length signature,
 * a parsed object as payload, no secret). Messages never contain a secret or the expected signature.
 */
export async function verifyPaddleSignature(options: VerifyPaddleSignatureOptions): Promise<void> {
  await verifyTimestampedHmac(
    {
      verifier: 'verifyPaddleSignature',
      secretName: 'Paddle secret key',
      header: { name: 'Paddle-Signature', separator: ';', timestampKey: 'ts', signatureKey: 'h1' },
      joiner: ':',
      defaultToleranceSeconds: 5,
    },
    options,
  );
}
