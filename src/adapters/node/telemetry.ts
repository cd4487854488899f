import type { License } from '../../domain/license.js';

/** Validation telemetry of one license not yet written to disk. */
export interface Telemetry {
  readonly validations: number;
  readonly lastValidatedAt: string | null;
  readonly lastSeen: ReadonlyMap<string, string>;
}

/** Adds the telemetry change `current → next` to `pending` (a new object: pending values are immutable). */
export function addTelemetry(pending: Telemetry | undefined, current: License, next: License): Telemetry {
  const lastSeen = new Map(pending?.lastSeen);
  next.devices.forEach((device, i) => {
    if (device.lastSeenAt !== current.devices[i]?.lastSeenAt)
      lastSeen.set(device.hardwareId, device.lastSeenAt);
  });
  return {
    validations: (pending?.validations ?? 0) + next.validationCount - current.validationCount,
    lastValidatedAt: later(pending?.lastValidatedAt ?? null, next.lastValidatedAt),
    lastSeen,
  };
}

/** What is left of `now` once `written` (an earlier value of the same pending entry) is on disk. */
export function subtractTelemetry(now: Telemetry, written: Telemetry): Telemetry {
  return { ...now, validations: now.validations - written.validations };
}

/** `license` (as read from disk) with the pending telemetry on top. */
export function applyTelemetry(license: License, telemetry: Telemetry): License {
  return {
    ...license,
    validationCount: license.validationCount + telemetry.validations,
    lastValidatedAt: later(license.lastValidatedAt, telemetry.lastValidatedAt),
    devices: license.devices.map((device) => {
      const seen = telemetry.lastSeen.get(device.hardwareId);
      return seen === undefined ? device : { ...device, lastSeenAt: later(device.lastSeenAt, seen) ?? seen };
    }),
  };
}

function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}
