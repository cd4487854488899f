import { WebhookVerificationError } from '../domain/errors.js';
import { sha256Hex } from './_crypto.js';

/** How many transmissions a {@link transmissionGuard} remembers by default; the oldest goes first. */
export const rememberedTransmissions = 10_000;

/**
 * Checks a verified delivery's transmission id against the ones seen before; resolves when the id is
 * new (it is then remembered) or was seen with the same body, rejects otherwise.
 */
export type TransmissionGuard = (transmissionId: string, body: Uint8Array) => Promise<void>;

/**
 * Binds each PayPal transmission id to one body. PayPal's offline signature covers the body only
 * through its CRC-32, which anyone can match with another body; the RSA signature does bind the
 * transmission id, so a captured signature can only be reused under the id it was made for. The
 * guard keeps the SHA-256 of the first body verified under each id (the last `capacity` ids, oldest
 * evicted first) and rejects the id with any other body as `WEBHOOK_UNAUTHORIZED`; the same body
 * again is a retry and passes. Call it only after the signature verified, so unverified requests
 * cannot fill it. It covers what this process has seen, nothing older and no other process.
 */
export function transmissionGuard(capacity = rememberedTransmissions): TransmissionGuard {
  const digests = new Map<string, string>();
  return async (transmissionId, body) => {
    const digest = await sha256Hex(body);
    // Synchronous from here on, so two concurrent deliveries cannot both claim one id.
    const seen = digests.get(transmissionId);
    if (seen === undefined) {
      if (digests.size >= capacity) digests.delete(digests.keys().next().value!);
      digests.set(transmissionId, digest);
    } else if (seen !== digest) {
      throw new WebhookVerificationError(
        'WEBHOOK_UNAUTHORIZED',
        'the PayPal transmission id was already verified with another body',
      );
    }
  };
}
