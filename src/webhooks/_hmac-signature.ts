import { LicenseKitError, WebhookVerificationError } from '../domain/errors.js';
import { hmacSha256Hex, timingSafeEqual } from './_crypto.js';

/** A `WEBHOOK_UNAUTHORIZED` rejection; `message` must never contain a secret or an expected signature. */
export const unauthorized = (message: string) =>
  new WebhookVerificationError('WEBHOOK_UNAUTHORIZED', message);

/** Rejects anything but the raw body (a string or bytes), naming `verifier`, the public function called. */
export function checkRawPayload(payload: unknown, verifier: string): asserts payload is string | Uint8Array {
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
    throw unauthorized(
      `${verifier} needs the raw request body (a string or Uint8Array), not a parsed object: verify before JSON.parse`,
    );
  }
}

/**
 * The verifier's `secret` option as a list: one string, or several while rotating. Rejects with
 * `no <secretName> is configured` when there is none or any is not a non-empty string.
 */
export function secretList(secret: unknown, secretName: string): readonly string[] {
  const secrets: readonly unknown[] =
    typeof secret === 'string' ? [secret] : Array.isArray(secret) ? secret : [];
  if (
    secrets.length === 0 ||
    !secrets.every((value): value is string => typeof value === 'string' && value !== '')
  ) {
    throw unauthorized(`no ${secretName} is configured`);
  }
  return secrets;
}

/** The value of the `name` header, rejected with `missing <name> header` when absent or blank. */
export function requireHeader(value: string | null | undefined, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw unauthorized(`missing ${name} header`);
  return value;
}

/**
 * Whether any of `candidates` (lower-case hex) is the HMAC-SHA256 of `message` under any of `secrets`.
 * Every pair is compared in constant time and none stops early.
 */
export async function hmacMatches(
  secrets: readonly string[],
  message: Uint8Array,
  candidates: readonly string[],
): Promise<boolean> {
  let matched = false;
  for (const key of secrets) {
    const expected = await hmacSha256Hex(key, message);
    for (const candidate of candidates) if (timingSafeEqual(candidate, expected)) matched = true;
  }
  return matched;
}

/**
 * A provider's secret option, checked at construction: one non-empty string or a non-empty list of
 * them, else `INVALID_INPUT` with `missing`. With `padded`, surrounding whitespace (a pasted newline
 * would fail every delivery) is `INVALID_INPUT` with that message too.
 */
export function configuredSecrets(value: unknown, missing: string, padded?: string): readonly string[] {
  const secrets: readonly unknown[] = Array.isArray(value) ? value : [value];
  if (
    secrets.length === 0 ||
    !secrets.every((secret): secret is string => typeof secret === 'string' && secret !== '')
  ) {
    throw new LicenseKitError('INVALID_INPUT', missing);
  }
  if (padded !== undefined && secrets.some((secret) => secret !== secret.trim())) {
    throw new LicenseKitError('INVALID_INPUT', padded);
  }
  return secrets;
}
