import { z } from 'zod';

const utc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const withOffset = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Whether the date and time of day `value` starts with (`YYYY-MM-DDTHH:MM`, then `:SS` if present)
 * name a real moment: a month from 1 to 12, a day the month has, at most 23:59:59. `Date.parse`
 * alone would read `2025-02-30` as March 2 and `24:00` as the next day.
 */
function isCalendarTime(value: string): boolean {
  const [year, month, day, hour, minute] = [0, 5, 8, 11, 14].map((at) =>
    Number(value.slice(at, at + (at === 0 ? 4 : 2))),
  ) as [number, number, number, number, number];
  const second = value[16] === ':' ? Number(value.slice(17, 19)) : 0;
  const time = new Date(0);
  time.setUTCFullYear(year, month - 1, day); // unlike Date.UTC, keeps the years 0-99 as they are
  time.setUTCHours(hour, minute, second);
  return (
    time.getUTCFullYear() === year &&
    time.getUTCMonth() === month - 1 &&
    time.getUTCDate() === day &&
    time.getUTCHours() === hour &&
    time.getUTCMinutes() === minute &&
    time.getUTCSeconds() === second
  );
}

/**
 * A store's ISO-8601 timestamp as licensekit stores time: UTC ending in `Z`. A UTC value keeps its
 * text (`…:56Z` and `…:56.000Z` alike); one with an offset (`2024-01-05T11:38:56-08:00`) is
 * converted to UTC. Anything else, an impossible date or time of day included, is an issue.
 */
export const storeTimestamp = z.string().transform((value, context) => {
  const isUtc = utc.test(value);
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
