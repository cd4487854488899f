import { shortTextMax } from '../domain/_schema-parts.js';
import { LicenseKitError } from '../domain/errors.js';
import type { Device, License } from '../domain/license.js';
import type { ValidationCode, ValidationRequest } from '../domain/validation-result.js';

/** The decision of one validation and the license as it should be stored afterwards. */
export interface LicenseCheck {
  code: ValidationCode;
  detail: string;
  device: Device | null;
  /** True when this check bound a new device to a free seat. */
  bound: boolean;
  next: License;
}

const dayMs = 86_400_000;

/**
 * Decides a validation of a found license, in the contract's order (product, revoked, suspended,
 * expiry with grace, device seats), and returns the license with telemetry updated and, for a new
 * device with a free seat, that device bound. `at` is `now` as an ISO timestamp. Pure:
 * `LicenseManager.validate` runs it inside an atomic storage update, so concurrent new devices can
 * never exceed `maxDevices`.
 */
export function checkLicense(
  license: License,
  request: ValidationRequest,
  now: Date,
  at: string,
  graceDays: (license: License) => number,
): LicenseCheck {
  if (request.productId !== undefined && request.productId !== license.productId) {
    return refused(
      license,
      at,
      'PRODUCT_MISMATCH',
      `the key is for another product than ${request.productId}`,
    );
  }
  // The detail goes to the app that asked, so it leaves out the status reason: an admin's note on
  // the license (which `license.statusReason` keeps for the server).
  if (license.status === 'revoked') return refused(license, at, 'REVOKED', 'the license was revoked');
  if (license.status === 'suspended') return refused(license, at, 'SUSPENDED', 'the license is suspended');
  let code: ValidationCode = 'VALID';
  // A license expires at `expiresAt` (from that instant on, as a token's `exp`); grace, if any,
  // runs from then for the plan's days.
  if (license.expiresAt !== null && now.getTime() >= Date.parse(license.expiresAt)) {
    if (now.getTime() >= Date.parse(license.expiresAt) + graceDays(license) * dayMs) {
      return refused(license, at, 'EXPIRED', `the license expired at ${license.expiresAt}`);
    }
    code = 'GRACE_PERIOD';
  }
  const detail =
    code === 'VALID' ? 'the license is valid' : `the license expired at ${license.expiresAt}; in grace`;
  const { devices } = license;
  if (request.hardwareId === undefined) {
    return { code, detail, device: null, bound: false, next: validated(license, at, devices) };
  }

  // A loop, not `findIndex`: V8 runs that on a frozen array (as stored devices are) through its
  // generic path, with a new callback each call, which cost about 7% of a validation at 100k.
  let index = 0;
  while (index < devices.length && devices[index]!.hardwareId !== request.hardwareId) index++;
  if (index < devices.length) {
    const known = devices[index]!;
    // A literal rather than a spread of the frozen record, as in `validated`.
    const device: Device = {
      hardwareId: known.hardwareId,
      deviceName: known.deviceName,
      activatedAt: known.activatedAt,
      lastSeenAt: at,
    };
    const next = validated(
      license,
      at,
      devices.map((existing, i) => (i === index ? device : existing)),
    );
    return { code, detail, device, bound: false, next };
  }
  if (devices.length >= license.maxDevices) {
    const seats =
      license.maxDevices === 1 ? 'the one device seat is' : `all ${license.maxDevices} device seats are`;
    return refused(
      license,
      at,
      'DEVICE_LIMIT_REACHED',
      `${seats} taken; deactivate a device to use this one`,
    );
  }
  const device: Device = {
    hardwareId: request.hardwareId,
    deviceName: request.deviceName ?? null,
    activatedAt: at,
    lastSeenAt: at,
  };
  return { code, detail, device, bound: true, next: validated(license, at, [...devices, device]) };
}

/** A failed check: the license only gets the telemetry of one more validation. */
function refused(license: License, at: string, code: ValidationCode, detail: string): LicenseCheck {
  return { code, detail, device: null, bound: false, next: validated(license, at, license.devices) };
}

/**
 * `license` after one more validation at `at`, with `devices`. Written out field by field (in the
 * schema's order) rather than spread: stored licenses are frozen, and V8 copies a frozen object by
 * spread several times slower than it builds a literal, on the hottest path of the library.
 */
function validated(license: License, at: string, devices: Device[]): License {
  return {
    key: license.key,
    productId: license.productId,
    email: license.email,
    customerName: license.customerName,
    createdAt: license.createdAt,
    expiresAt: license.expiresAt,
    status: license.status,
    statusReason: license.statusReason,
    maxDevices: license.maxDevices,
    devices,
    lastValidatedAt: at,
    validationCount: license.validationCount + 1,
    purchaseSource: license.purchaseSource,
    purchaseId: license.purchaseId,
    subscriptionId: license.subscriptionId,
    deliveredAt: license.deliveredAt,
  };
}

/** Whether a request field is absent or a short string. */
function isShortOrAbsent(field: unknown): boolean {
  return field === undefined || (typeof field === 'string' && field.length <= shortTextMax);
}

/** The longest key a license can have: a longer one typed by a customer is simply not found. */
export const maxKeyLength = shortTextMax;

/**
 * The request of a validation, with its `hardwareId` trimmed as a stored device's is (the same
 * object when there is nothing to trim), so an id sent with white space around it is still the
 * device it bound. Refuses (`INVALID_INPUT`) a key that is not a string, a request that is not an
 * object, fields that are not short strings, and a `hardwareId` that is empty once trimmed.
 */
export function readValidationRequest(key: unknown, request: ValidationRequest): ValidationRequest {
  const valid =
    typeof key === 'string' &&
    typeof request === 'object' &&
    request !== null &&
    (request.hardwareId === undefined || typeof request.hardwareId === 'string') &&
    isShortOrAbsent(request.deviceName) &&
    isShortOrAbsent(request.productId);
  const hardwareId = valid ? request.hardwareId?.trim() : undefined;
  if (!valid || hardwareId === '' || !isShortOrAbsent(hardwareId)) {
    throw new LicenseKitError(
      'INVALID_INPUT',
      'validate takes a key and optional hardwareId, deviceName, productId strings',
    );
  }
  return hardwareId === request.hardwareId ? request : { ...request, hardwareId };
}
