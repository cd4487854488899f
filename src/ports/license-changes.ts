import { isoTimestampPattern } from '../domain/_schema-parts.js';
import type { License } from '../domain/license.js';

/**
 * True when `next` differs from `current` only in validation telemetry (`lastValidatedAt`,
 * `validationCount`, `devices[].lastSeenAt`), which adapters may write behind.
 */
export function isTelemetryOnlyChange(current: License, next: License): boolean {
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

/**
 * A telemetry-only change (see {@link isTelemetryOnlyChange}) whose new values are well-formed.
 * This cheap check replaces the full schema parse on the validation hot path: everything else in
 * `next` is unchanged from a record that was checked when it was stored.
 */
export function isValidTelemetryChange(current: License, next: License): boolean {
  return (
    isTelemetryOnlyChange(current, next) &&
    Number.isInteger(next.validationCount) &&
    next.validationCount >= 0 &&
    (next.lastValidatedAt === null || isIsoUtc(next.lastValidatedAt)) &&
    next.devices.every(
      (device, i) => device.lastSeenAt === current.devices[i]!.lastSeenAt || isIsoUtc(device.lastSeenAt),
    )
  );
}
