import { z } from 'zod';

/** An ISO-8601 UTC timestamp ending in `Z`, as every licensekit record stores time. */
export const isoTimestamp = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/,
    'expected an ISO-8601 UTC timestamp ending in Z',
  );

/** A non-empty string after trimming, at most 256 characters: ids, keys, emails, product ids. */
export const nonEmpty = z.string().trim().min(1).max(256);

/** An id-like string of at most 256 characters (may be empty). */
export const shortText = z.string().max(256);

/** A human-written string (names, reasons) of at most 2,048 characters. */
export const longText = z.string().max(2048);
