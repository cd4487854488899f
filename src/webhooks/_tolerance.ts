import { LicenseKitError } from '../domain/errors.js';

/** True for a usable `toleranceSeconds`: a number of seconds, 0 or more (`Infinity` included, NaN not). */
export function isToleranceSeconds(value: unknown): value is number {
  return typeof value === 'number' && value >= 0;
}

/**
 * A provider's `toleranceSeconds` option, checked at construction: `undefined` (the default) or a
 * number of seconds, 0 or more, `Infinity` turning the check off. Anything else (a string read from
 * an env var, a negative number, NaN) would fail every delivery as a 401, so it throws
 * `INVALID_INPUT` at once, naming `provider`, e.g. `stripe`.
 */
export function configuredTolerance(value: unknown, provider: string): number | undefined {
  if (value === undefined || isToleranceSeconds(value)) return value;
  throw new LicenseKitError(
    'INVALID_INPUT',
    `${provider}(): toleranceSeconds must be a number of seconds, 0 or more (Infinity turns the check off)`,
  );
}
