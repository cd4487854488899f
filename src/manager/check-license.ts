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
 * device with a free seat, that device bound. Pure: `LicenseManager.validate` runs it inside an
 * atomic storage update, so concurrent new devices can never exceed `maxDevices`.
 */
export function checkLicense(
  license: License,
  request: ValidationRequest,
  now: Date,
  graceDays: () => number,
): LicenseCheck {
  const at = now.toISOString();
  const seen = (devices = license.devices): License => ({
    ...license,
    lastValidatedAt: at,
    validationCount: license.validationCount + 1,
    devices,
  });
  const fail = (code: ValidationCode, detail: string): LicenseCheck => ({
    code,
    detail,
    device: null,
    bound: false,
    next: seen(),
  });
  if (request.productId !== undefined && request.productId !== license.productId) {
    return fail('PRODUCT_MISMATCH', `the key is for another product than ${request.productId}`);
  }
  if (license.status === 'revoked')
    return fail('REVOKED', `the license was revoked (${license.statusReason ?? 'no reason'})`);
  if (license.status === 'suspended') {
    return fail('SUSPENDED', `the license is suspended (${license.statusReason ?? 'no reason'})`);
  }
  let code: ValidationCode = 'VALID';
  if (license.expiresAt !== null && now.getTime() > Date.parse(license.expiresAt)) {
    if (now.getTime() > Date.parse(license.expiresAt) + graceDays() * dayMs) {
      return fail('EXPIRED', `the license expired at ${license.expiresAt}`);
    }
    code = 'GRACE_PERIOD';
  }
  const detail =
    code === 'VALID' ? 'the license is valid' : `the license expired at ${license.expiresAt}; in grace`;
  if (request.hardwareId === undefined) return { code, detail, device: null, bound: false, next: seen() };

  const index = license.devices.findIndex((device) => device.hardwareId === request.hardwareId);
  if (index >= 0) {
    const device = { ...license.devices[index]!, lastSeenAt: at };
    const devices = license.devices.map((existing, i) => (i === index ? device : existing));
    return { code, detail, device, bound: false, next: seen(devices) };
  }
  if (license.devices.length >= license.maxDevices) {
    const seats =
      license.maxDevices === 1 ? 'the one device seat is' : `all ${license.maxDevices} device seats are`;
    return fail('DEVICE_LIMIT_REACHED', `${seats} taken; deactivate a device to use this one`);
  }
  const device: Device = {
    hardwareId: request.hardwareId,
    deviceName: request.deviceName ?? null,
    activatedAt: at,
    lastSeenAt: at,
  };
  return { code, detail, device, bound: true, next: seen([...license.devices, device]) };
}

/** Refuses a validation whose key or fields are not short strings (`INVALID_INPUT`). */
export function checkValidationRequest(key: unknown, request: ValidationRequest): void {
  const fields = [request.hardwareId, request.deviceName, request.productId];
  const badField = fields.some(
    (field) => field !== undefined && (typeof field !== 'string' || field.length > 256),
  );
  if (typeof key !== 'string' || key.length > 256 || badField || request.hardwareId === '') {
    throw new LicenseKitError(
      'INVALID_INPUT',
      'validate takes a key and optional hardwareId, deviceName, productId strings',
    );
  }
}
