import { z } from 'zod';
import { parseWith } from '../domain/_parse.js';
import { eventTimestamp, nonEmpty } from '../domain/_schema-parts.js';
import { maxTermDays } from '../domain/plan.js';
import { type Purchase, purchaseSchema } from '../domain/purchase.js';

/** What `LicenseManager.createLicense` takes. Give at most one of `expiresInDays` and `expiresAt`. */
export interface CreateLicenseInput {
  email: string;
  customerName: string;
  productId: string;
  /** Term length from now, up to 1,000,000 days; without it (and without `expiresAt`) the plan's term applies. */
  expiresInDays?: number;
  /** A fixed expiry (ISO-8601 UTC, a real date and time). */
  expiresAt?: string;
  /** Device seats; default: the plan's `maxDevices` × the purchase quantity. */
  maxDevices?: number;
  /** The sale this license is for; without it the license is `manual`. */
  purchase?: Purchase;
}

const createLicenseInputSchema = z
  .strictObject({
    email: z
      .string()
      .transform((email) => email.trim().toLowerCase())
      .pipe(z.email()),
    customerName: z.string(),
    productId: nonEmpty,
    expiresInDays: z.number().positive().max(maxTermDays).optional(),
    expiresAt: eventTimestamp.optional(),
    maxDevices: z.int().min(1).optional(),
    purchase: purchaseSchema.optional(),
  })
  .refine((input) => input.expiresInDays === undefined || input.expiresAt === undefined, {
    message: 'give expiresInDays or expiresAt, not both',
  });

/** Checks `createLicense` input; throws `INVALID_INPUT` listing the issues. */
export function parseCreateLicenseInput(input: unknown): CreateLicenseInput {
  return parseWith(createLicenseInputSchema as z.ZodType<CreateLicenseInput>, input, 'createLicense input');
}
