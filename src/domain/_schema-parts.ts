import { z } from 'zod';

/** An ISO-8601 UTC timestamp ending in `Z`, as every licensekit record stores time. */
export const isoTimestamp = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/,
    'expected an ISO-8601 UTC timestamp ending in Z',
  );

/** A non-empty string after trimming. */
export const nonEmpty = z.string().trim().min(1);
