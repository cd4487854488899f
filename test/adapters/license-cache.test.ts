import { describe, expect, it } from 'vitest';
import { LicenseCache } from '../../src/adapters/node/license-cache.js';
import type { License } from '../../src/domain/license.js';
import { licenseFixture } from '../../src/testing/fixtures.js';

const device = (hardwareId: string, lastSeenAt = '2026-01-01T00:00:00.000Z') => ({
  hardwareId,
  deviceName: null,
  activatedAt: '2026-01-01T00:00:00.000Z',
  lastSeenAt,
});

/** `license` after one validation at `at` from device `hardwareId`, as `validate` stores it. */
function validated(license: License, at: string, hardwareId = 'hw-1'): License {
  return {
    ...license,
    validationCount: license.validationCount + 1,
    lastValidatedAt: at,
    devices: license.devices.map((d) => (d.hardwareId === hardwareId ? { ...d, lastSeenAt: at } : d)),
  };
}

function keyOf(license: License): string {
  return license.key.toUpperCase();
}

function unwrittenKeys(cache: LicenseCache): string[] {
  return [...cache.unwritten()].map(([key]) => key);
}

const base = licenseFixture({ validationCount: 3, devices: [device('hw-1'), device('hw-2')] });

/** A cache holding `base` as read from the file, with two validations from hw-1 not written. */
function cacheWithTelemetry(): LicenseCache {
  const cache = new LicenseCache();
  cache.put(base);
  const once = cache.view.put(validated(base, '2026-02-01T00:00:00.000Z'));
  cache.view.put(validated(once, '2026-02-02T00:00:00.000Z'));
  return cache;
}

describe('LicenseCache', () => {
  it('finds what validations left unwritten, and nothing once it is written', () => {
    const cache = new LicenseCache();
    cache.put(base);
    const other = licenseFixture();
    cache.put(other);
    expect(unwrittenKeys(cache)).toEqual([]);

    const seen = cache.view.put(validated(base, '2026-02-01T00:00:00.000Z'));
    expect([...cache.unwritten()]).toEqual([[keyOf(base), seen]]);

    cache.wroteAsSeen(keyOf(base), seen);
    expect(unwrittenKeys(cache)).toEqual([]);
    cache.view.put(validated(seen, '2026-02-02T00:00:00.000Z'));
    expect(unwrittenKeys(cache)).toEqual([keyOf(base)]);
  });

  it("carries unwritten telemetry onto another process's version of a license", () => {
    const cache = cacheWithTelemetry();
    // Another process validated it once from hw-2, and renamed the customer.
    const theirs = {
      ...validated(base, '2026-01-15T00:00:00.000Z', 'hw-2'),
      customerName: 'Renamed',
    };
    cache.put(theirs);

    expect(cache.view.get(base.key)).toEqual({
      ...theirs,
      validationCount: 3 + 1 + 2,
      lastValidatedAt: '2026-02-02T00:00:00.000Z',
      devices: [device('hw-1', '2026-02-02T00:00:00.000Z'), device('hw-2', '2026-01-15T00:00:00.000Z')],
    });
    // Still not written: the file holds their version.
    expect(unwrittenKeys(cache)).toEqual([keyOf(base)]);
  });

  it('puts a license from the file as it is when nothing is unwritten', () => {
    const cache = new LicenseCache();
    cache.put(base);
    const theirs = { ...base, customerName: 'Renamed' };
    cache.put(theirs);
    expect(cache.view.get(base.key)).toBe(theirs);
    expect(Object.isFrozen(theirs)).toBe(true);
    expect(unwrittenKeys(cache)).toEqual([]);
  });

  it('a reload carries telemetry over and drops the licenses the file no longer holds', () => {
    const cache = cacheWithTelemetry();
    const gone = licenseFixture();
    cache.put(gone);

    cache.clear();
    expect(cache.size).toBe(0);
    cache.put(base);
    cache.refreshed();

    expect(cache.size).toBe(1);
    expect(cache.view.get(gone.key)).toBeNull();
    expect(cache.view.get(base.key)).toMatchObject({
      validationCount: 5,
      lastValidatedAt: '2026-02-02T00:00:00.000Z',
    });
  });

  it('a reload that failed halfway loses no telemetry when a later one succeeds', () => {
    const cache = cacheWithTelemetry();
    const other = licenseFixture({ devices: [device('hw-1')] });
    cache.put(other);
    cache.view.put(validated(other, '2026-02-03T00:00:00.000Z'));

    // The failed reload got as far as `other`, which was validated again before the next reload.
    cache.clear();
    cache.put(other);
    cache.view.put(validated(cache.view.get(other.key)!, '2026-02-04T00:00:00.000Z'));

    cache.clear();
    cache.put(base);
    cache.put(other);
    cache.refreshed();

    expect(cache.view.get(base.key)).toMatchObject({ validationCount: 5 });
    expect(cache.view.get(other.key)).toMatchObject({
      validationCount: other.validationCount + 2,
      lastValidatedAt: '2026-02-04T00:00:00.000Z',
    });
    expect(unwrittenKeys(cache).sort()).toEqual([keyOf(base), keyOf(other)].sort());
  });

  it('a change written while validations arrive keeps them, unwritten, on top of the change', () => {
    const cache = new LicenseCache();
    cache.put(base);
    const before = cache.view.get(base.key)!;
    const changed = Object.freeze({ ...before, status: 'suspended' as const, statusReason: 'manual' });
    // A validation lands while the change is being written.
    cache.view.put(validated(before, '2026-02-01T00:00:00.000Z'));

    cache.wrote(keyOf(base), changed, before);

    expect(cache.view.get(base.key)).toMatchObject({ status: 'suspended', validationCount: 4 });
    expect(unwrittenKeys(cache)).toEqual([keyOf(base)]);
  });

  it('a change written with no validation meanwhile leaves nothing unwritten', () => {
    const cache = new LicenseCache();
    cache.put(base);
    const before = cache.view.get(base.key)!;
    const changed = Object.freeze({ ...before, maxDevices: 9 });
    cache.wrote(keyOf(base), changed, before);
    expect(cache.view.get(base.key)).toBe(changed);

    const added = Object.freeze(licenseFixture());
    cache.wrote(keyOf(added), added, null);
    expect(cache.view.get(added.key)).toBe(added);
    expect(unwrittenKeys(cache)).toEqual([]);
  });

  it('after a write of the whole table, only validations since the snapshot are unwritten', () => {
    const cache = cacheWithTelemetry();
    const other = licenseFixture();
    cache.put(other);
    const snapshot = cache.snapshot();
    cache.view.put(validated(other, '2026-02-05T00:00:00.000Z'));

    cache.wroteAll(snapshot);

    expect(unwrittenKeys(cache)).toEqual([keyOf(other)]);
  });

  it('drops the telemetry of a device the newer version no longer has', () => {
    const cache = cacheWithTelemetry();
    const theirs = { ...base, devices: [device('hw-2')] };
    cache.put(theirs);
    expect(cache.view.get(base.key)).toMatchObject({ validationCount: 5, devices: [device('hw-2')] });
  });
});
