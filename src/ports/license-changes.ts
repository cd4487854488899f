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

const isoUtc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

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
    (next.lastValidatedAt === null || isoUtc.test(next.lastValidatedAt)) &&
    next.devices.every(
      (device, i) => device.lastSeenAt === current.devices[i]!.lastSeenAt || isoUtc.test(device.lastSeenAt),
    )
  );
}
