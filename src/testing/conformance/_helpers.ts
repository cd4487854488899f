/** Helpers shared by the storage conformance cases. */
import type { AuditRecord } from '../../domain/audit-record.js';
import type { Device, License } from '../../domain/license.js';
import type { LicenseMutation } from '../../ports/storage.js';

/** Drains the iterable `items()` returns (called inside, so a synchronous throw rejects). */
export async function collect<T>(items: () => AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items()) out.push(item);
  return out;
}

/** The keys of `licenses`, in order. */
export function keysOf(licenses: readonly License[]): string[] {
  return licenses.map((license) => license.key);
}

/** The ids of `records`, in order. */
export function idsOf(records: readonly AuditRecord[]): string[] {
  return records.map((record) => record.id);
}

/**
 * `records` with their ids handed out again in descending order, so that append order differs from
 * id order and an adapter that sorts by id instead of keeping append order is caught.
 */
export function withDescendingIds<T extends AuditRecord>(records: readonly T[]): T[] {
  const ids = records.map((record) => record.id).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  return records.map((record, i) => ({ ...record, id: ids[i]! }));
}

/** A filter as text for messages, showing fields that are present but `undefined` (JSON drops them). */
export function describeFilter(filter: object | undefined): string {
  if (filter === undefined) return 'undefined';
  const fields = Object.entries(filter).map(
    ([name, value]) => `${name}: ${value === undefined ? 'undefined' : JSON.stringify(value)}`,
  );
  return fields.length === 0 ? '{}' : `{ ${fields.join(', ')} }`;
}

/** Picks `items[i]` for every index, failing loudly on a bad index (a bug in the case itself). */
export function pick<T>(items: readonly T[], indexes: readonly number[]): T[] {
  return indexes.map((index) => {
    const item = items[index];
    if (item === undefined) throw new Error(`conformance case bug: no item at index ${index}`);
    return item;
  });
}

/** `LK-TEST-01` → `Lk-tEsT-01`: a key whose text differs from both its lower- and upper-case forms. */
export function mixedCase(key: string): string {
  let letters = 0;
  return [...key]
    .map((char) => {
      if (char.toLowerCase() === char.toUpperCase()) return char;
      letters += 1;
      return letters % 2 === 1 ? char.toUpperCase() : char.toLowerCase();
    })
    .join('');
}

/** The `i`-th of three spellings of `key`, in turn: as given, lower-case, upper-case. */
export function spellingOf(key: string, i: number): string {
  return [key, key.toLowerCase(), key.toUpperCase()][i % 3]!;
}

/** `2024-05-10T12:00:00.000Z` plus `day` days. */
export function at(day: number): string {
  return `2024-05-${String(10 + day).padStart(2, '0')}T12:00:00.000Z`;
}

/** A mutation binding `device` while a seat is free (and it is not bound yet). */
export function bindDevice(device: Device): LicenseMutation {
  return (current) =>
    current.devices.length < current.maxDevices &&
    !current.devices.some((bound) => bound.hardwareId === device.hardwareId)
      ? { ...current, devices: [...current.devices, device] }
      : current;
}

/** A telemetry-only mutation: one more validation at `time`, every device seen at `time`. */
export function recordValidation(time: string): LicenseMutation {
  return (current) => ({
    ...current,
    lastValidatedAt: time,
    validationCount: current.validationCount + 1,
    devices: current.devices.map((device) => ({ ...device, lastSeenAt: time })),
  });
}

/** A license the schema rejects, for checking that bad input never reaches the store. */
export function invalid(license: Record<string, unknown>): License {
  return license as unknown as License;
}
