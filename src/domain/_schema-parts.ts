import { z } from 'zod';

/** The text of an ISO-8601 UTC timestamp ending in `Z`, for checks that run without zod. */
export const isoTimestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/**
 * Whether the date and time of day `value` starts with (`YYYY-MM-DDTHH:MM`, then `:SS` when there)
 * name a real moment: read as UTC, they come back unchanged. `Date.parse` alone reads `2025-02-30`
 * as March 2 and `24:00` as the next day. For text already shaped like an ISO-8601 timestamp.
 */
export function isCalendarTime(value: string): boolean {
  const local = value.slice(0, value[16] === ':' ? 19 : 16);
  const time = Date.parse(`${local}Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().startsWith(local);
}

/** An ISO-8601 UTC timestamp ending in `Z`, as every licensekit record stores time. */
export const isoTimestamp = z
  .string()
  .regex(isoTimestampPattern, 'expected an ISO-8601 UTC timestamp ending in Z');

/**
 * {@link isoTimestamp} that also names a real moment (no February 30, no 24:00): for the times of
 * purchase events, which come from stores and are compared as instants by the reports.
 */
export const eventTimestamp = z
  .string()
  .refine(
    (value) => isoTimestampPattern.test(value) && isCalendarTime(value),
    'expected an ISO-8601 UTC timestamp ending in Z of a real date and time',
  );

/**
 * One email address as stores send it: one `@`, no spaces or line breaks, no `,` `;` `<` `>` that
 * would make it a list or a display name. An address that passes can be a mail recipient as is, so
 * a buyer cannot add recipients or mail headers through it.
 */
export const emailAddressPattern = /^[^\s@,;<>]+@[^\s@,;<>]+$/;

/** The most characters (code points) of an id-like string. */
export const shortTextMax = 256;

/** The most characters (code points) of a human-written string. */
export const longTextMax = 2048;

/** A non-empty string after trimming, at most 256 characters: ids, keys, emails, product ids. */
export const nonEmpty = z.string().trim().min(1).max(shortTextMax);

/** An id-like string of at most 256 characters (may be empty). */
export const shortText = z.string().max(shortTextMax);

/** A human-written string (names, reasons) of at most 2,048 characters. */
export const longText = z.string().max(longTextMax);
