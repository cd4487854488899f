import type { License } from '../../domain/license.js';

/** When a device was last seen, as validations moved it. */
interface Seen {
  readonly hardwareId: string;
  lastSeenAt: string;
}

/**
 * Validation telemetry of one license not yet written to disk. An entry is the store's own and is
 * updated in place while it is pending: one entry per license and flush, not one per validation.
 */
export interface Telemetry {
  validations: number;
  lastValidatedAt: string | null;
  /** The devices whose `lastSeenAt` validations moved. */
  readonly seen: Seen[];
}

/** Adds the telemetry change `current → next` to `pending` (in place), or to a new entry it returns. */
export function addTelemetry(pending: Telemetry | undefined, current: License, next: License): Telemetry {
  const entry = pending ?? { validations: 0, lastValidatedAt: null, seen: [] };
  entry.validations += next.validationCount - current.validationCount;
  entry.lastValidatedAt = later(entry.lastValidatedAt, next.lastValidatedAt);
  for (let i = 0; i < next.devices.length; i++) {
    const { hardwareId, lastSeenAt } = next.devices[i]!;
    if (lastSeenAt === current.devices[i]?.lastSeenAt) continue;
    const moved = entry.seen.find((device) => device.hardwareId === hardwareId);
    if (moved) moved.lastSeenAt = lastSeenAt;
    else entry.seen.push({ hardwareId, lastSeenAt });
  }
  return entry;
}

/** Telemetry recorded `first`, then `then`, as one new entry (to put back telemetry whose write failed). */
export function mergeTelemetry(first: Telemetry, then: Telemetry): Telemetry {
  const moved = (device: Seen) => then.seen.some((other) => other.hardwareId === device.hardwareId);
  return {
    validations: first.validations + then.validations,
    lastValidatedAt: later(first.lastValidatedAt, then.lastValidatedAt),
    seen: [...then.seen, ...first.seen.filter((device) => !moved(device))].map((device) => ({ ...device })),
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

/** The longest a slow flush makes telemetry wait (see {@link telemetryFlushDelay}). */
const maxFlushDelayMs = 60_000;

/**
 * How long telemetry waits to be written after a flush that took `lastFlushMs`: `flushMs`, or 9
 * times the last flush when that is longer (up to 60 s), so flushes take at most a tenth of the time.
 */
export function telemetryFlushDelay(flushMs: number, lastFlushMs: number): number {
  return Math.max(flushMs, Math.min(maxFlushDelayMs, 9 * lastFlushMs));
}
