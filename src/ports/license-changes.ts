import { isoTimestampPattern } from '../domain/_schema-parts.js';
import { isRecordOf, type License } from '../domain/license.js';

/**
 * Whether `next` has every field of `current` but the validation telemetry (`lastValidatedAt`,
 * `validationCount`, `devices[].lastSeenAt`) and the key and sale, which it does not compare.
 *
 * Fields are compared with `Object.is`, which matches a value kept from `current` (the common case:
 * a change keeps every string it does not touch) by reference alone. `===` on two strings first
 * reads both to check their type: on a large table each read is a cache miss, and together they
 * cost a validation about a tenth of its time. For strings, `Object.is` and `===` agree.
 */
export function keepsAllButTelemetry(current: License, next: License): boolean {
  if (
    !Object.is(current.status, next.status) ||
    !Object.is(current.expiresAt, next.expiresAt) ||
    !Object.is(current.statusReason, next.statusReason) ||
    current.maxDevices !== next.maxDevices ||
    !Object.is(current.deliveredAt, next.deliveredAt) ||
    !Object.is(current.email, next.email) ||
    !Object.is(current.customerName, next.customerName) ||
    !Object.is(current.productId, next.productId) ||
    !Object.is(current.subscriptionId, next.subscriptionId) ||
    !Object.is(current.createdAt, next.createdAt) ||
    current.devices.length !== next.devices.length
  ) {
    return false;
  }
  for (let i = 0; i < current.devices.length; i++) {
    const a = current.devices[i]!;
    const b = next.devices[i]!;
    if (
      !Object.is(a.hardwareId, b.hardwareId) ||
      !Object.is(a.deviceName, b.deviceName) ||
      !Object.is(a.activatedAt, b.activatedAt)
    ) {
      return false;
    }
  }
  return true;
}

/**
 * The last timestamp {@link isIsoUtc} accepted: validations in one millisecond share their stamp.
 * Until the first, an object of this module's own, which no value it is given can be.
 */
let lastAccepted: unknown = {};

/**
 * Whether `value` is `before` (unchanged) or an ISO-8601 UTC timestamp string; the pattern runs once
 * per distinct stamp in a row. The stamp last accepted is compared first: a validation's new values are
 * that very string, matched by reference without reading `before`.
 */
function isIsoUtc(value: unknown, before: string | null): boolean {
  if (Object.is(value, lastAccepted) || Object.is(value, before)) return true;
  // A `String` object or one whose `toString` gives a timestamp would pass the pattern.
  if (typeof value !== 'string' || !isoTimestampPattern.test(value)) return false;
  lastAccepted = value;
  return true;
}

/** The properties of a {@link License} and of a device: a record with more has unknown ones. */
const licenseKeys = 16;
const deviceKeys = 4;

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
  if (
    !keepsAllButTelemetry(current, next) ||
    // The key and sale, which that leaves out, compared as there.
    !Object.is(next.key, current.key) ||
    !Object.is(next.purchaseSource, current.purchaseSource) ||
    !Object.is(next.purchaseId, current.purchaseId)
  ) {
    return false;
  }
  if (!isRecordOf(next, licenseKeys) || !Array.isArray(next.devices)) return false;
  if (!Number.isSafeInteger(next.validationCount) || next.validationCount < 0) return false;
  if (next.lastValidatedAt !== null && !isIsoUtc(next.lastValidatedAt, current.lastValidatedAt)) {
    return false;
  }
  for (let i = 0; i < next.devices.length; i++) {
    const device = next.devices[i]!;
    if (!isRecordOf(device, deviceKeys)) return false;
    if (!isIsoUtc(device.lastSeenAt, current.devices[i]!.lastSeenAt)) return false;
  }
  return true;
}
