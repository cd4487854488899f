import type { z } from 'zod';
import { toIssues } from '../domain/_parse.js';
import { LicenseKitError, NormalizationError } from '../domain/errors.js';
import { type PurchaseEvent, purchaseEventSchema } from '../domain/purchase.js';

/** The result of a `safe…` normalizer: the event (or `null` for a non-purchase event), or the error. */
export type SafeNormalizeResult =
  | { success: true; data: PurchaseEvent | null }
  | { success: false; error: NormalizationError };

/**
 * Parses a store payload with `schema`, converts it with `convert`, and checks the result is a valid
 * `PurchaseEvent`. Any problem becomes a `NormalizationError` naming the store and listing issues.
 */
export function normalizeWith<T>(
  store: string,
  schema: z.ZodType<T>,
  payload: unknown,
  convert: (parsed: T) => PurchaseEvent | null,
): PurchaseEvent | null {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw new NormalizationError(
      'NORMALIZATION_FAILED',
      `the ${store} payload is not a purchase event we understand`,
      {
        issues: toIssues(parsed.error),
      },
    );
  }
  let event: PurchaseEvent | null;
  try {
    event = convert(parsed.data);
  } catch (error) {
    if (error instanceof NormalizationError) throw error;
    // Converting a payload that passed its schema can still fail on values out of range (a date
    // beyond what Date holds, say): that is a bad payload too, never a server error.
    const issues = error instanceof LicenseKitError ? error.issues : [];
    const detail = error instanceof LicenseKitError ? error.message : 'a value is out of range';
    throw new NormalizationError('NORMALIZATION_FAILED', `the ${store} payload: ${detail}`, { issues });
  }
  if (event === null) return null;
  const checked = purchaseEventSchema.safeParse(event);
  if (!checked.success) {
    throw new NormalizationError(
      'NORMALIZATION_FAILED',
      `the ${store} payload gave an invalid purchase event`,
      {
        issues: toIssues(checked.error),
      },
    );
  }
  return checked.data;
}

/** Wraps a throwing normalizer into its `safe…` variant, which returns `{ success, data | error }`. */
export function safeVariant<A extends unknown[]>(
  normalize: (...args: A) => PurchaseEvent | null,
): (...args: A) => SafeNormalizeResult {
  return (...args) => {
    try {
      return { success: true, data: normalize(...args) };
    } catch (error) {
      if (error instanceof NormalizationError) return { success: false, error };
      throw error;
    }
  };
}
