import type { Device, License } from '../../domain/license.js';

/** Validation telemetry of one license not yet written to disk. */
export interface Telemetry {
  readonly validations: number;
  readonly lastValidatedAt: string | null;
  /** The devices whose `lastSeenAt` validations moved, each as last seen (the table's own records). */
  readonly seen: readonly Device[];
}

/**
 * Adds the telemetry change `current → next` to `pending` (a new object: pending values are
 * immutable). Called on every validation, so it copies no map: `seen` is a small array of `next`'s
 * own device records.
 */
export function addTelemetry(pending: Telemetry | undefined, current: License, next: License): Telemetry {
  const seen = next.devices.filter(
    (device, i) =>
      device.lastSeenAt !== current.devices[i]?.lastSeenAt ||
      pending?.seen.some((earlier) => earlier.hardwareId === device.hardwareId),
  );
  return {
    validations: (pending?.validations ?? 0) + next.validationCount - current.validationCount,
    lastValidatedAt: later(pending?.lastValidatedAt ?? null, next.lastValidatedAt),
    seen,
  };
}

/** Telemetry recorded `first`, then `then`, as one entry (to put back telemetry whose write failed). */
export function mergeTelemetry(first: Telemetry, then: Telemetry): Telemetry {
  const moved = (device: Device) => then.seen.some((other) => other.hardwareId === device.hardwareId);
  return {
    validations: first.validations + then.validations,
    lastValidatedAt: later(first.lastValidatedAt, then.lastValidatedAt),
    seen: [...then.seen, ...first.seen.filter((device) => !moved(device))],
  };
}

/** `license` (as read from disk) with the pending telemetry on top. */
export function applyTelemetry(license: License, telemetry: Telemetry): License {
  return {
    ...license,
    validationCount: license.validationCount + telemetry.validations,
    lastValidatedAt: later(license.lastValidatedAt, telemetry.lastValidatedAt),
    devices: license.devices.map((device) => {
      const seen = telemetry.seen.find((moved) => moved.hardwareId === device.hardwareId)?.lastSeenAt;
      return seen === undefined ? device : { ...device, lastSeenAt: later(device.lastSeenAt, seen) ?? seen };
    }),
  };
}

function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}
