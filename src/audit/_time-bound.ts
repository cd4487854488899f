import { isCalendarTime, isoTimestamp } from '../domain/_schema-parts.js';
import { LicenseKitError } from '../domain/errors.js';

/**
 * The instant (ms since the epoch) of a `since`/`until` filter bound, `undefined` when not given.
 * Throws `INVALID_INPUT` unless it is an ISO-8601 UTC timestamp ending in `Z` that names a real
 * moment. Compared to the millisecond, as `Date.parse` reads it.
 */
export function parseTimeBound(value: string | undefined, name: 'since' | 'until'): number | undefined {
  if (value === undefined) return undefined;
  if (!isoTimestamp.safeParse(value).success || !isCalendarTime(value)) {
    throw new LicenseKitError('INVALID_INPUT', `${name} must be an ISO-8601 UTC timestamp ending in Z`);
  }
  return Date.parse(value);
}
