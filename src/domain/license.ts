import { z } from 'zod';
import { parseWith } from './_parse.js';
import {
  isoTimestamp,
  isoTimestampPattern,
  longText,
  longTextMax,
  nonEmpty,
  shortText,
  shortTextMax,
} from './_schema-parts.js';

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

// The schema's twin for records read back from storage, where a zod parse of every license costs as
// much as parsing the file. It mirrors `licenseSchema` and the parts in _schema-parts.ts field for
// field, bound for bound (zod measures `max` in code points); test/domain/license-shape.test.ts
// checks that the two agree.

/**
 * Whether the JSON value `value` is a {@link License} exactly as `licenseSchema` returns it: true if
 * and only if `licenseSchema.safeParse(value)` succeeds with data deep-equal to `value`. So it is
 * false for a license the schema accepts only after trimming an id. Allocation-free: stores trust
 * a record they read back when this says true, and ask the schema (for its error, or the trimmed
 * record) only when it says false.
 */
export function isCanonicalLicense(value: unknown): value is License {
  const v = value as Record<keyof License, unknown>;
  return (
    isRecordOf(value, 16) &&
    isId(v.key) &&
    isId(v.productId) &&
    isText(v.email, shortTextMax) &&
    isText(v.customerName, longTextMax) &&
    isTimestamp(v.createdAt) &&
    (v.expiresAt === null || isTimestamp(v.expiresAt)) &&
    (v.status === 'active' || v.status === 'suspended' || v.status === 'revoked') &&
    (v.statusReason === null || isText(v.statusReason, longTextMax)) &&
    isCount(v.maxDevices) &&
    isDeviceList(v.devices) &&
    (v.lastValidatedAt === null || isTimestamp(v.lastValidatedAt)) &&
    isCount(v.validationCount) &&
    isId(v.purchaseSource) &&
    isId(v.purchaseId) &&
    (v.subscriptionId === null || isText(v.subscriptionId, shortTextMax)) &&
    (v.deliveredAt === null || isTimestamp(v.deliveredAt))
  );
}

/** `deviceSchema`'s twin, for {@link isCanonicalLicense}. */
function isDeviceList(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const device of value) {
    const d = device as Record<keyof Device, unknown>;
    const valid =
      isRecordOf(device, 4) &&
      isId(d.hardwareId) &&
      (d.deviceName === null || isText(d.deviceName, longTextMax)) &&
      isTimestamp(d.activatedAt) &&
      isTimestamp(d.lastSeenAt);
    if (!valid) return false;
  }
  return true;
}

/**
 * @internal A non-array object with exactly `keys` enumerable keys, as a strict zod object with as
 * many fields needs.
 */
export function isRecordOf(value: unknown, keys: number): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return enumerableKeyCount(value) === keys;
}

/** `nonEmpty` that needs no trimming: 1 to 256 characters, no leading or trailing white space. */
function isId(value: unknown): boolean {
  return isText(value, shortTextMax) && value.length >= 1 && value.trim() === value;
}

/** `shortText` (`max` {@link shortTextMax}) or `longText` (`max` {@link longTextMax}). */
function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && (value.length <= max || codePoints(value) <= max);
}

/** The length zod's `max` measures: code points, a surrogate pair counting once. */
function codePoints(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    if ((text.charCodeAt(i) & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--;
      i++;
    }
  }
  return count;
}

/** `isoTimestamp`. */
function isTimestamp(value: unknown): boolean {
  return typeof value === 'string' && isoTimestampPattern.test(value);
}

/** `z.int().min(0)`. */
function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

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

/** @internal How many enumerable keys `value` has, counted without allocating (unlike `Object.keys`). */
export function enumerableKeyCount(value: object): number {
  let count = 0;
  for (const _ in value) count++;
  return count;
}
