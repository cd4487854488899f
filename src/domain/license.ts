import { z } from 'zod';
import { parseWith } from './_parse.js';
import { isoTimestamp, longText, nonEmpty, shortText } from './_schema-parts.js';

/** Whether a license may be used: `active`, or blocked as `suspended` (reversible) or `revoked`. */
export type LicenseStatus = 'active' | 'suspended' | 'revoked';

/** A machine bound to a license seat. */
export interface Device {
  hardwareId: string;
  deviceName: string | null;
  activatedAt: string;
  lastSeenAt: string;
}

/** The lean license record: only what validation needs. Timestamps are ISO-8601 UTC strings. */
export interface License {
  key: string;
  productId: string;
  email: string;
  customerName: string;
  createdAt: string;
  /** `null` means perpetual. */
  expiresAt: string | null;
  status: LicenseStatus;
  /** Why the status is what it is, e.g. `refunded`, `chargeback`, `disputed`, `manual`. */
  statusReason: string | null;
  maxDevices: number;
  devices: Device[];
  lastValidatedAt: string | null;
  validationCount: number;
  /** The store id (`gumroad`, `stripe`, `manual`, …) and that store's sale id. */
  purchaseSource: string;
  purchaseId: string;
  /** Links renewals and cancellations to the license. */
  subscriptionId: string | null;
  /** When the license email was sent; `null` until it has been. */
  deliveredAt: string | null;
}

const deviceSchema = z.strictObject({
  hardwareId: nonEmpty,
  deviceName: longText.nullable(),
  activatedAt: isoTimestamp,
  lastSeenAt: isoTimestamp,
});

/** @internal zod schema of {@link License}. */
export const licenseSchema: z.ZodType<License> = z.strictObject({
  key: nonEmpty,
  productId: nonEmpty,
  email: shortText,
  customerName: longText,
  createdAt: isoTimestamp,
  expiresAt: isoTimestamp.nullable(),
  status: z.enum(['active', 'suspended', 'revoked']),
  statusReason: longText.nullable(),
  maxDevices: z.int().min(0),
  devices: z.array(deviceSchema),
  lastValidatedAt: isoTimestamp.nullable(),
  validationCount: z.int().min(0),
  purchaseSource: nonEmpty,
  purchaseId: nonEmpty,
  subscriptionId: shortText.nullable(),
  deliveredAt: isoTimestamp.nullable(),
});

/** Checks that `input` is a well-formed {@link License}; throws `INVALID_INPUT` listing the issues. */
export function parseLicense(input: unknown): License {
  return parseWith(licenseSchema, input, 'license');
}

/** The case-insensitive lookup form of a stored key: stored keys keep their text, lookups ignore case. */
export function licenseKeyIndex(key: string): string {
  return key.toUpperCase();
}

/** The identity of the sale a license was issued for, unique per store. */
export function purchaseIndex(source: string, purchaseId: string): string {
  return `${source}\u0000${purchaseId}`;
}
