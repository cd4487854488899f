import fc from 'fast-check';
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

/** What a flush takes: the licenses with unwritten telemetry, by key. */
function take(cache: LicenseCache): Map<string, License> {
  const taken = new Map<string, License>();
  cache.takeUnwritten((key, license) => taken.set(key, license));
  return taken;
}

function unwrittenKeys(cache: LicenseCache): string[] {
  return [...take(cache).keys()];
}

const base = licenseFixture({ validationCount: 3, devices: [device('hw-1'), device('hw-2')] });

/** A cache holding `base` as read from the file, with two validations from hw-1 not written. */
function cacheWithTelemetry(): LicenseCache {
  const cache = new LicenseCache();
  cache.put(base);
  const once = cache.record(validated(base, '2026-02-01T00:00:00.000Z'));
  cache.record(validated(once, '2026-02-02T00:00:00.000Z'));
  return cache;
}

describe('LicenseCache', () => {
  it('a flush takes what validations left unwritten, once; after a failed write, again', () => {
    const cache = new LicenseCache();
    cache.put(base);
    const other = licenseFixture();
    cache.put(other);
    expect(cache.mayHaveUnwritten).toBe(false);
    expect(unwrittenKeys(cache)).toEqual([]);

    const seen = cache.record(validated(base, '2026-02-01T00:00:00.000Z'));
    expect(cache.mayHaveUnwritten).toBe(true);
    expect([...take(cache)]).toEqual([[keyOf(base), seen]]);
    expect(cache.mayHaveUnwritten).toBe(false);
    expect(unwrittenKeys(cache)).toEqual([]); // taken: a second flush has nothing new

    cache.takeFailed(); // the write of what was taken failed
    expect(cache.mayHaveUnwritten).toBe(true);
    expect(unwrittenKeys(cache)).toEqual([keyOf(base)]);

    cache.wroteAsSeen(keyOf(base), seen); // this time it was written
    cache.takeFailed();
    expect(unwrittenKeys(cache)).toEqual([]);
    cache.record(validated(seen, '2026-02-02T00:00:00.000Z'));
    expect(unwrittenKeys(cache)).toEqual([keyOf(base)]);
  });

  it('finds every unwritten license once validations outnumber the licenses', () => {
    const cache = new LicenseCache();
    const licenses = [base, licenseFixture(), licenseFixture()];
    for (const license of licenses) cache.put(license);
    let seen = cache.view.get(base.key)!;
    for (let i = 1; i <= 5; i++) seen = cache.record(validated(seen, `2026-02-0${i}T00:00:00.000Z`));
    cache.record(validated(licenses[2]!, '2026-02-06T00:00:00.000Z'));
    expect([...take(cache)]).toEqual([
      [keyOf(base), seen],
      [keyOf(licenses[2]!), cache.view.get(licenses[2]!.key)],
    ]);
  });

  it('a few licenses validated more often than there are licenses are still taken from the list', () => {
    const cache = new LicenseCache();
    const [a, b, c, d] = [licenseFixture(), licenseFixture(), licenseFixture(), licenseFixture()];
    for (const license of [a, b, c, d]) cache.put(license);
    let [seenA, seenD] = [a, d];
    for (let i = 1; i <= 5; i++) {
      seenD = cache.record(validated(seenD, `2026-02-0${i}T00:00:00.000Z`));
      seenA = cache.record(validated(seenA, `2026-02-0${i}T00:00:00.000Z`));
    }
    // In validation order (d first): a look at every license would find them in table order.
    expect([...take(cache)]).toEqual([
      [keyOf(d), seenD],
      [keyOf(a), seenA],
    ]);
  });

  it('takes a license once however often it was validated, whatever the case of its key', () => {
    const cache = new LicenseCache();
    const legacy = licenseFixture({ key: 'legacy-key-7' });
    cache.put(legacy);
    for (const other of [licenseFixture(), licenseFixture(), licenseFixture()]) cache.put(other);
    const once = cache.record(validated(legacy, '2026-02-01T00:00:00.000Z'));
    const twice = cache.record(validated(once, '2026-02-02T00:00:00.000Z'));
    expect([...take(cache)]).toEqual([['LEGACY-KEY-7', twice]]);
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
    cache.record(validated(other, '2026-02-03T00:00:00.000Z'));

    // The failed reload got as far as `other`, which was validated again before the next reload.
    cache.clear();
    cache.put(other);
    cache.record(validated(cache.view.get(other.key)!, '2026-02-04T00:00:00.000Z'));

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
    cache.record(validated(before, '2026-02-01T00:00:00.000Z'));

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
    const snapshot = cache.unwrittenNow();
    cache.record(validated(other, '2026-02-05T00:00:00.000Z'));

    cache.wroteAll(snapshot);

    expect(unwrittenKeys(cache)).toEqual([keyOf(other)]);
    cache.takeFailed(); // a look at every license agrees
    expect(unwrittenKeys(cache)).toEqual([keyOf(other)]);
  });

  it('drops the telemetry of a device the newer version no longer has', () => {
    const cache = cacheWithTelemetry();
    const theirs = { ...base, devices: [device('hw-2')] };
    cache.put(theirs);
    expect(cache.view.get(base.key)).toMatchObject({ validationCount: 5, devices: [device('hw-2')] });
  });

  it('a flush never misses unwritten telemetry, and every validation is counted once', () => {
    type Step =
      | { kind: 'validate' | 'theirs' | 'wholeWrite'; license: number }
      | { kind: 'flush' | 'failedFlush' | 'reload' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({
        kind: fc.constantFrom('validate' as const, 'theirs' as const, 'wholeWrite' as const),
        license: fc.nat(3),
      }),
      fc.record({ kind: fc.constantFrom('flush' as const, 'failedFlush' as const, 'reload' as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const cache = new LicenseCache();
        // The file as both processes see it, and each validation made anywhere.
        const file = new Map<string, License>();
        for (const license of Array.from({ length: 4 }, () =>
          licenseFixture({ devices: [device('hw-1')] }),
        )) {
          file.set(keyOf(license), license);
          cache.put(license);
        }
        const keys = [...file.keys()];
        let validations = 0;
        let second = 0;
        const flush = () => {
          for (const [key, license] of take(cache)) {
            file.set(key, license);
            cache.wroteAsSeen(key, license);
          }
        };
        for (const s of steps) {
          const at = `2026-03-01T00:${String(Math.floor(second / 60)).padStart(2, '0')}:${String(second++ % 60).padStart(2, '0')}.000Z`;
          if (s.kind === 'validate') {
            cache.record(validated(cache.view.get(keys[s.license]!)!, at));
            validations++;
          } else if (s.kind === 'theirs') {
            // Another process validates the license and writes it at once.
            const key = keys[s.license]!;
            const theirs = validated(file.get(key)!, at);
            file.set(key, theirs);
            cache.put(theirs);
            validations++;
          } else if (s.kind === 'wholeWrite') {
            // A write of the whole table, which writes the view as it is when it starts, while
            // license `s.license` is validated once more.
            const writing = cache.unwrittenNow();
            for (const [key, license] of writing) file.set(key, license);
            cache.record(validated(cache.view.get(keys[s.license]!)!, at));
            validations++;
            cache.wroteAll(writing);
          } else if (s.kind === 'flush') {
            flush();
            cache.takeFailed(); // a look at every license finds nothing the flush left
            expect(unwrittenKeys(cache)).toEqual([]);
          } else if (s.kind === 'failedFlush') {
            take(cache);
            cache.takeFailed();
          } else {
            cache.clear();
            for (const license of file.values()) cache.put(license);
            cache.refreshed();
          }
        }
        flush();
        const counted = (licenses: Iterable<License>) =>
          [...licenses].reduce((sum, license) => sum + license.validationCount, 0);
        expect(counted(cache.view.values())).toBe(validations);
        expect(counted(file.values())).toBe(validations);
      }),
      { numRuns: 500 },
    );
  });
});
