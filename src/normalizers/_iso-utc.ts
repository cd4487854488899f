import { z } from 'zod';
import { isCalendarTime, isoTimestampPattern } from '../domain/_schema-parts.js';

const withOffset = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * A store's ISO-8601 timestamp as licensekit stores time: UTC ending in `Z`. A UTC value keeps its
 * text (`…:56Z` and `…:56.000Z` alike); one with an offset (`2024-01-05T11:38:56-08:00`) is
 * converted to UTC. Anything else, an impossible date or time of day included, is an issue.
 */
export const storeTimestamp = z.string().transform((value, context) => {
  const isUtc = isoTimestampPattern.test(value);
  const time =
    (isUtc || withOffset.test(value)) && isCalendarTime(value)
      ? Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))
      : Number.NaN;
  if (Number.isNaN(time)) {
    context.issues.push({ code: 'custom', message: 'expected an ISO-8601 timestamp', input: value });
    return z.NEVER;
  }
  return isUtc ? value : new Date(time).toISOString();
});
