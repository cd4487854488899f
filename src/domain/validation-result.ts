import type { Device, License } from './license.js';

/**
 * Why a key is or is not usable. Checked in this order, first failure wins: `MALFORMED_KEY`,
 * `NOT_FOUND`, `PRODUCT_MISMATCH`, `REVOKED`, `SUSPENDED`, `EXPIRED` (or `GRACE_PERIOD`, which is
 * valid), `DEVICE_LIMIT_REACHED`, else `VALID`.
 */
export type ValidationCode =
  | 'VALID'
  | 'GRACE_PERIOD'
  | 'MALFORMED_KEY'
  | 'NOT_FOUND'
  | 'PRODUCT_MISMATCH'
  | 'REVOKED'
  | 'SUSPENDED'
  | 'EXPIRED'
  | 'DEVICE_LIMIT_REACHED';

/** What a device sends to validate a key. */
export interface ValidationRequest {
  /** A stable id of the machine; a new one takes a free seat, a known one never takes another. */
  hardwareId?: string;
  deviceName?: string;
  /** The product the key must be for. */
  productId?: string;
}

/** The outcome of `LicenseManager.validate`. `valid` and `code` are separate: grace is valid. */
export interface ValidationResult {
  valid: boolean;
  code: ValidationCode;
  /** A sentence for logs and support, never shown as the only signal (branch on `code`). */
  detail: string;
  /** The license, when the key was found. */
  license: License | null;
  /** The device this validation used or bound, when a `hardwareId` was given and accepted. */
  device: Device | null;
  checkedAt: string;
}
