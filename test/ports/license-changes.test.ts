import { describe, expect, it, vi } from 'vitest';
import { type Device, isTelemetryOnlyChange, type License } from '../../src/index.js';
import { licenseFixture } from '../../src/testing.js';

const stored = licenseFixture({
  devices: [
    {
      hardwareId: 'pc-1',
      deviceName: 'Laptop',
      activatedAt: '2025-03-01T10:00:00.000Z',
      lastSeenAt: '2025-03-01T10:00:00.000Z',
    },
  ],
});
const at = '2025-03-02T08:00:00.000Z';
const validated: License = {
  ...stored,
  lastValidatedAt: at,
  validationCount: stored.validationCount + 1,
  devices: [{ ...stored.devices[0]!, lastSeenAt: at }],
};

describe('isTelemetryOnlyChange', () => {
  it('is true for a validation: new telemetry, well-formed, nothing else changed', () => {
    expect(isTelemetryOnlyChange(stored, validated)).toBe(true);
    expect(isTelemetryOnlyChange(stored, { ...stored })).toBe(true);
  });

  it('compares values, not references: records whose strings are all copies still match', () => {
    // Each string rebuilt character by character, so none is the very string of the other record.
    const copied = <T>(record: T): T =>
      JSON.parse(JSON.stringify(record), (_, value: unknown) =>
        typeof value === 'string' ? [...value].join('') : value,
      ) as T;
    expect(isTelemetryOnlyChange(copied(stored), copied(validated))).toBe(true);
    expect(isTelemetryOnlyChange(copied(stored), copied({ ...validated, email: 'other@example.com' }))).toBe(
      false,
    );
  });

  it('is false for an empty time, also before the module accepted any timestamp', async () => {
    vi.resetModules(); // a fresh copy of the module, which has accepted no timestamp yet
    const fresh = await import('../../src/ports/license-changes.js');
    expect(fresh.isTelemetryOnlyChange(stored, { ...validated, lastValidatedAt: '' })).toBe(false);
    const device = { ...stored.devices[0]!, lastSeenAt: '' };
    expect(fresh.isTelemetryOnlyChange(stored, { ...validated, devices: [device] })).toBe(false);
  });

  it.each<[string, Partial<License> & Record<string, unknown>]>([
    ['another key', { key: 'ANOTHER-KEY' }],
    ['another sale', { purchaseId: 'another-sale' }],
    ['another store', { purchaseSource: 'stripe' }],
    ['a status', { status: 'revoked' }],
    ['an unknown property', { note: 'x' }],
    ['a negative count', { validationCount: -5 }],
    ['a count that is no integer', { validationCount: 1.5 }],
    ['a time that is no timestamp', { lastValidatedAt: 'yesterday' }],
    ['a device time that is no timestamp', { devices: [{ ...stored.devices[0]!, lastSeenAt: 'now' }] }],
    ['another device', { devices: [{ ...stored.devices[0]!, hardwareId: 'pc-2' }] }],
    // Values the types forbid, as a JavaScript caller may pass them.
    ['a time that is a String object', { lastValidatedAt: new String(at) as unknown as string }],
    [
      'a device time that only converts to a timestamp',
      { devices: [{ ...stored.devices[0]!, lastSeenAt: { toString: () => at } as unknown as string }] },
    ],
    [
      'devices that are no array',
      {
        devices: { 0: { ...stored.devices[0]!, lastSeenAt: at }, length: 1 } as unknown as License['devices'],
      },
    ],
    [
      'a device that is an array',
      { devices: [Object.assign([], { ...stored.devices[0]!, lastSeenAt: at }) as unknown as Device] },
    ],
  ])('is false for %s, so the store parses the record', (_, change) => {
    expect(isTelemetryOnlyChange(stored, { ...validated, ...change } as License)).toBe(false);
  });

  it('is false for a record that is an array', () => {
    expect(isTelemetryOnlyChange(stored, Object.assign([], validated) as unknown as License)).toBe(false);
  });
});
