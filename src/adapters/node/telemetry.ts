import type { License } from '../../domain/license.js';

/**
 * `onto` with the validation telemetry that `to` has over `from` (the same license before some
 * validations) added: the validations counted, the last validation time, the devices' last-seen
 * times. Carries this process's unwritten telemetry onto a newer version of a license.
 */
export function carryTelemetry(from: License, to: License, onto: License): License {
  return {
    ...onto,
    validationCount: onto.validationCount + Math.max(0, to.validationCount - from.validationCount),
    lastValidatedAt:
      to.lastValidatedAt === from.lastValidatedAt
        ? onto.lastValidatedAt
        : later(onto.lastValidatedAt, to.lastValidatedAt),
    devices: onto.devices.map((device) => {
      const seen = lastSeen(to, device.hardwareId);
      if (seen === undefined || seen === lastSeen(from, device.hardwareId)) return device;
      return { ...device, lastSeenAt: later(device.lastSeenAt, seen) ?? seen };
    }),
  };
}

function lastSeen(license: License, hardwareId: string): string | undefined {
  return license.devices.find((device) => device.hardwareId === hardwareId)?.lastSeenAt;
}

function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

/** The longest a slow flush makes telemetry wait (see {@link telemetryFlushDelay}). */
const maxFlushDelayMs = 60_000;

/**
 * How long telemetry waits to be written after a flush that took `lastFlushMs`: `flushMs`, or 9
 * times the last flush when that is longer (up to 60 s), so flushes take at most a tenth of the time.
 */
export function telemetryFlushDelay(flushMs: number, lastFlushMs: number): number {
  return Math.max(flushMs, Math.min(maxFlushDelayMs, 9 * lastFlushMs));
}
