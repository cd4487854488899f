import { isoTimestampPattern } from '../domain/_schema-parts.js';
import { enumerableKeyCount, type License } from '../domain/license.js';

/**
 * Whether `next` has every field of `current` but the validation telemetry (`lastValidatedAt`,
 * `validationCount`, `devices[].lastSeenAt`) and the key and sale, which it does not compare.
 */
export function keepsAllButTelemetry(current: License, next: License): boolean {
  if (
    current.status !== next.status ||
    current.expiresAt !== next.expiresAt ||
    current.statusReason !== next.statusReason ||
    current.maxDevices !== next.maxDevices ||
    current.deliveredAt !== next.deliveredAt ||
    current.email !== next.email ||
    current.customerName !== next.customerName ||
    current.productId !== next.productId ||
    current.subscriptionId !== next.subscriptionId ||
    current.createdAt !== next.createdAt ||
    current.devices.length !== next.devices.length
  ) {
    return false;
  }
  for (let i = 0; i < current.devices.length; i++) {
    const a = current.devices[i]!;
    const b = next.devices[i]!;
    if (a.hardwareId !== b.hardwareId || a.deviceName !== b.deviceName || a.activatedAt !== b.activatedAt) {
      return false;
    }
  }
  return true;
}

/** The last timestamp {@link isIsoUtc} accepted: validations in one millisecond share their stamp. */
let lastAccepted = '';

/** Whether `value` is an ISO-8601 UTC timestamp; the pattern runs once per distinct stamp in a row. */
function isIsoUtc(value: string): boolean {
  if (value === lastAccepted) return true;
  if (!isoTimestampPattern.test(value)) return false;
  lastAccepted = value;
  return true;
}

/** The properties of a {@link License} and of a device: a record with more has unknown ones. */
const licenseKeys = 16;
const deviceKeys = 4;

/** Whether `next` has the key and sale of `current` (which {@link keepsAllButTelemetry} leaves out). */
function isSameLicense(current: License, next: License): boolean {
  return (
    next.key === current.key &&
    next.purchaseSource === current.purchaseSource &&
    next.purchaseId === current.purchaseId
  );
}

/**
 * True when `next` is `current` (a stored, valid license) with only its validation telemetry
 * changed (`lastValidatedAt`, `validationCount`, `devices[].lastSeenAt`) to well-formed values, and
 * no property added: exactly what the schema would accept unchanged. Such a change needs no schema
 * parse, and an adapter may write it behind (within the window the port allows). Allocation-free:
 * the built-in stores run it on every validation instead of the parse. Every other field is the
 * same as in `current`, and every known field is there (each is compared or checked), so a record
 * with the known number of keys has no unknown one.
 */
export function isTelemetryOnlyChange(current: License, next: License): boolean {
  if (!keepsAllButTelemetry(current, next) || !isSameLicense(current, next)) return false;
  if (enumerableKeyCount(next) !== licenseKeys) return false;
  if (!Number.isSafeInteger(next.validationCount) || next.validationCount < 0) return false;
  if (next.lastValidatedAt !== null && !isIsoUtc(next.lastValidatedAt)) return false;
  for (let i = 0; i < next.devices.length; i++) {
    const device = next.devices[i]!;
    if (enumerableKeyCount(device) !== deviceKeys) return false;
    if (device.lastSeenAt !== current.devices[i]!.lastSeenAt && !isIsoUtc(device.lastSeenAt)) return false;
  }
  return true;
}
