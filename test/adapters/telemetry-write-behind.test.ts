import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory-storage.js';
import { type FileIO, nodeFileIO } from '../../src/adapters/node/file-io.js';
import { telemetryFlushDelay } from '../../src/adapters/node/telemetry.js';
import type { License } from '../../src/domain/license.js';
import { jsonFileLicenseStore, jsonlLicenseStore } from '../../src/node.js';
import type { LicenseMutation, LicenseStore } from '../../src/ports/storage.js';
import { licenseFixture } from '../../src/testing/fixtures.js';
import { FaultyIO } from '../helpers/faulty-io.js';
import { TempDirs } from '../helpers/temp-dir.js';

// Validation telemetry is written behind. These cases pin down its bookkeeping in the file stores:
// a failed write keeps it, a write in flight neither loses nor doubles what arrives meanwhile,
// another process's change does not wipe what this one has not written yet, a write of the whole
// file counts as a flush, and close() writes the rest.

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

const formats = [
  { name: 'licenses.json', open: jsonFileLicenseStore },
  { name: 'licenses.jsonl', open: jsonlLicenseStore },
] as const;

type Format = (typeof formats)[number];

/** One validation at `time` from device `hardwareId` (a telemetry-only change). */
function seenBy(hardwareId: string, time: string): LicenseMutation {
  return (current) => ({
    ...current,
    lastValidatedAt: time,
    validationCount: current.validationCount + 1,
    devices: current.devices.map((device) =>
      device.hardwareId === hardwareId ? { ...device, lastSeenAt: time } : device,
    ),
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const at = (second: number) => `2025-03-01T10:00:${String(second).padStart(2, '0')}.000Z`;

/** A license with devices `a` and `b`, both last seen at second 0. */
function twoDeviceLicense(): License {
  const device = (hardwareId: string) => ({
    hardwareId,
    deviceName: null,
    activatedAt: at(0),
    lastSeenAt: at(0),
  });
  return licenseFixture({ maxDevices: 2, devices: [device('a'), device('b')] });
}

/** The license as a fresh store instance reads it from `path`. */
async function reread(format: Format, path: string, key: string): Promise<License | null> {
  const store = format.open({ path });
  try {
    return await store.get(key);
  } finally {
    await store.close();
  }
}

function telemetryOf(license: License | null) {
  return {
    validationCount: license?.validationCount,
    lastValidatedAt: license?.lastValidatedAt,
    lastSeen: Object.fromEntries(license?.devices.map((d) => [d.hardwareId, d.lastSeenAt]) ?? []),
  };
}

/** A change of another license than the one under test (not telemetry: written at once). */
const grow: LicenseMutation = (current) => ({ ...current, maxDevices: current.maxDevices + 1 });

/** Inserts 10 licenses besides the one under test. */
async function insertOthers(store: LicenseStore): Promise<License[]> {
  const others = Array.from({ length: 10 }, () => licenseFixture());
  for (const other of others) await store.insert(other);
  return others;
}

/**
 * Changes `others` through `store`, a batch at a time, until `rewritten()` says it wrote its whole
 * file: licenses.json with any write, licenses.jsonl when ~1000 superseded lines make it compact
 * the journal. Failed writes are ignored: callers check what they left behind.
 */
async function writeUntil(
  store: LicenseStore,
  others: readonly License[],
  rewritten: () => Promise<boolean>,
): Promise<void> {
  do {
    await Promise.all(others.map((other) => store.update(other.key, grow).catch(() => null)));
  } while (!(await rewritten()));
}

/** Whether the file at `path` was replaced since this was called (a write of the whole file). */
async function replacedSince(path: string): Promise<() => Promise<boolean>> {
  const { ino } = await stat(path);
  return async () => (await stat(path)).ino !== ino;
}

/** File I/O whose fsyncs wait while the gate is shut, to hold a write in flight. */
function gatedIO() {
  let gate: Promise<void> | null = null;
  let open = () => {};
  let waiting = false;
  const io: FileIO = {
    ...nodeFileIO,
    fsync: async (fd) => {
      if (gate) {
        waiting = true;
        await gate;
      }
      return nodeFileIO.fsync(fd);
    },
  };
  return {
    io,
    shut() {
      waiting = false;
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    /** Whether a write is waiting at the shut gate. */
    waiting: () => waiting,
    open() {
      gate = null;
      open();
    },
  };
}

describe.each(formats)('telemetry written behind by $name', (format) => {
  it('a failed write keeps the telemetry, merged with what came after, for the next write', async () => {
    const path = join(await dirs.make('telemetry-fault'), format.name);
    const io = new FaultyIO();
    const store = format.open({ path, io, telemetryFlushMs: 5 });
    const [license, other] = [twoDeviceLicense(), twoDeviceLicense()];
    await store.insert(license);
    await store.insert(other);
    io.arm({ at: 1, persistent: true, only: 'fsync' });
    await store.update(license.key, seenBy('a', at(1)));
    await store.update(license.key, seenBy('b', at(2)));
    await store.update(other.key, seenBy('b', at(2)));
    await vi.waitFor(() => expect(io.faults.length).toBeGreaterThan(0));
    await store.update(license.key, seenBy('a', at(3)));
    io.disarm();
    await store.close();
    expect(telemetryOf(await reread(format, path, license.key))).toEqual({
      validationCount: 3,
      lastValidatedAt: at(3),
      lastSeen: { a: at(3), b: at(2) },
    });
    expect(telemetryOf(await reread(format, path, other.key))).toEqual({
      validationCount: 1,
      lastValidatedAt: at(2),
      lastSeen: { a: at(0), b: at(2) },
    });
  });

  it('telemetry recorded while a write is in flight is written once, neither lost nor doubled', async () => {
    const path = join(await dirs.make('telemetry-in-flight'), format.name);
    const gate = gatedIO();
    const store = format.open({ path, io: gate.io, telemetryFlushMs: 5 });
    const license = twoDeviceLicense();
    await store.insert(license);
    gate.shut();
    await store.update(license.key, seenBy('a', at(1)));
    await store.update(license.key, seenBy('b', at(2)));
    await vi.waitFor(() => expect(gate.waiting()).toBe(true)); // the flush of those two is being written
    await store.update(license.key, seenBy('a', at(3)));
    await store.update(license.key, seenBy('a', at(4)));
    gate.open();
    const expected = { validationCount: 4, lastValidatedAt: at(4), lastSeen: { a: at(4), b: at(2) } };
    expect(telemetryOf(await store.get(license.key))).toEqual(expected);
    await store.close();
    expect(telemetryOf(await reread(format, path, license.key))).toEqual(expected);
  });

  it('a change written while telemetry arrives keeps that telemetry', async () => {
    const path = join(await dirs.make('telemetry-during-change'), format.name);
    const gate = gatedIO();
    const store = format.open({ path, io: gate.io, telemetryFlushMs: 60_000 });
    const license = twoDeviceLicense();
    await store.insert(license);
    await store.update(license.key, seenBy('a', at(1)));
    gate.shut();
    const suspended = store.update(license.key, (current) => ({
      ...current,
      status: 'suspended',
      statusReason: 'fraud',
    }));
    await vi.waitFor(() => expect(gate.waiting()).toBe(true));
    await store.update(license.key, seenBy('b', at(2)));
    gate.open();
    await suspended;
    const expected = { validationCount: 2, lastValidatedAt: at(2), lastSeen: { a: at(1), b: at(2) } };
    const seen = await store.get(license.key);
    expect(seen?.status).toBe('suspended');
    expect(telemetryOf(seen)).toEqual(expected);
    await store.close();
    const written = await reread(format, path, license.key);
    expect(written?.status).toBe('suspended');
    expect(telemetryOf(written)).toEqual(expected);
  });

  it.each([
    ['an issued key', (license: License) => license],
    ['a key stored in lower case (imported)', (license: License) => ({ ...license, key: 'legacy-key-7' })],
  ])("another process's change and this one's unwritten telemetry both survive, for %s", async (_, keyed) => {
    const path = join(await dirs.make('telemetry-refresh'), format.name);
    const mine = format.open({ path, telemetryFlushMs: 60_000, refreshMs: 1 });
    const theirs = format.open({ path });
    const license = keyed(twoDeviceLicense());
    await mine.insert(license);
    await mine.update(license.key, seenBy('a', at(1)));
    await mine.update(license.key, seenBy('a', at(2)));
    await theirs.update(license.key, (current) => ({
      ...current,
      status: 'suspended',
      statusReason: 'fraud',
    }));
    await theirs.close();
    await new Promise((resolve) => setTimeout(resolve, 10)); // `mine` looks at the file again
    const seen = await mine.get(license.key);
    expect(seen?.status).toBe('suspended');
    expect(telemetryOf(seen)).toEqual({
      validationCount: 2,
      lastValidatedAt: at(2),
      lastSeen: { a: at(2), b: at(0) },
    });
    await mine.close();
    const written = await reread(format, path, license.key);
    expect(written?.status).toBe('suspended');
    expect(telemetryOf(written)).toEqual({
      validationCount: 2,
      lastValidatedAt: at(2),
      lastSeen: { a: at(2), b: at(0) },
    });
  });

  it('validations counted in two processes add up', async () => {
    const path = join(await dirs.make('telemetry-two-processes'), format.name);
    const mine = format.open({ path, telemetryFlushMs: 60_000, refreshMs: 1 });
    const theirs = format.open({ path });
    const license = twoDeviceLicense();
    await mine.insert(license);
    await mine.update(license.key, seenBy('a', at(1)));
    await mine.update(license.key, seenBy('a', at(4)));
    for (const second of [2, 3, 5]) await theirs.update(license.key, seenBy('b', at(second)));
    await theirs.close(); // writes its three validations
    await sleep(10); // `mine` looks at the file again
    const expected = { validationCount: 5, lastValidatedAt: at(5), lastSeen: { a: at(4), b: at(5) } };
    expect(telemetryOf(await mine.get(license.key))).toEqual(expected);
    await mine.close();
    expect(telemetryOf(await reread(format, path, license.key))).toEqual(expected);
  });

  it("a write of the whole file writes the telemetry in it once: another process's write never adds it again", async () => {
    const path = join(await dirs.make('telemetry-whole-file'), format.name);
    const mine = format.open({ path, telemetryFlushMs: 60_000, refreshMs: 1 });
    const theirs = format.open({ path });
    const license = twoDeviceLicense();
    await mine.insert(license);
    const others = await insertOthers(mine);
    for (const second of [1, 2, 3]) await mine.update(license.key, seenBy('a', at(second)));
    await writeUntil(mine, others, await replacedSince(path)); // carries the 3 validations along
    await theirs.update(license.key, (current) => ({
      ...current,
      status: 'suspended',
      statusReason: 'fraud',
    }));
    await theirs.close();
    await sleep(10); // `mine` looks at the file again
    const expected = { validationCount: 3, lastValidatedAt: at(3), lastSeen: { a: at(3), b: at(0) } };
    expect(telemetryOf(await mine.get(license.key))).toEqual(expected);
    await mine.close();
    const written = await reread(format, path, license.key);
    expect(written?.status).toBe('suspended');
    expect(telemetryOf(written)).toEqual(expected);
  });

  it('a failed write of the whole file keeps the telemetry in it for the next write', async () => {
    const path = join(await dirs.make('telemetry-whole-file-fault'), format.name);
    const io = new FaultyIO();
    const store = format.open({ path, io, telemetryFlushMs: 60_000 });
    const license = twoDeviceLicense();
    await store.insert(license);
    const others = await insertOthers(store);
    for (const second of [1, 2, 3]) await store.update(license.key, seenBy('a', at(second)));
    io.arm({ at: 1, persistent: true, only: 'rename' }); // the commit of a write of the whole file
    await writeUntil(store, others, async () => io.faults.length > 0);
    io.disarm();
    await store.close();
    expect(telemetryOf(await reread(format, path, license.key))).toEqual({
      validationCount: 3,
      lastValidatedAt: at(3),
      lastSeen: { a: at(3), b: at(0) },
    });
  });

  it('a validation while close() writes the last telemetry is rejected, and what came before is written', async () => {
    const path = join(await dirs.make('telemetry-close'), format.name);
    const gate = gatedIO();
    const store = format.open({ path, io: gate.io, telemetryFlushMs: 60_000, refreshMs: 60_000 });
    const license = twoDeviceLicense();
    await store.insert(license);
    await store.update(license.key, seenBy('a', at(1)));
    gate.shut();
    const closing = store.close();
    await vi.waitFor(() => expect(gate.waiting()).toBe(true)); // close() is writing that validation
    await expect(store.update(license.key, seenBy('a', at(2)))).rejects.toMatchObject({
      code: 'STORAGE_CLOSED',
    });
    const again = store.close();
    gate.open();
    await Promise.all([closing, again]);
    expect(telemetryOf(await reread(format, path, license.key))).toEqual({
      validationCount: 1,
      lastValidatedAt: at(1),
      lastSeen: { a: at(1), b: at(0) },
    });
  });

  it('a close() that failed to write the last telemetry can be retried', async () => {
    const path = join(await dirs.make('telemetry-close-fault'), format.name);
    const io = new FaultyIO();
    const store = format.open({ path, io, telemetryFlushMs: 60_000 });
    const license = twoDeviceLicense();
    await store.insert(license);
    await store.update(license.key, seenBy('b', at(1)));
    io.arm({ at: 1, persistent: true, only: 'fsync' });
    await expect(store.close()).rejects.toMatchObject({ code: 'STORAGE_IO' });
    await expect(store.get(license.key)).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
    io.disarm();
    await store.close();
    expect(telemetryOf(await reread(format, path, license.key))).toEqual({
      validationCount: 1,
      lastValidatedAt: at(1),
      lastSeen: { a: at(0), b: at(1) },
    });
  });

  it('after a slow flush, waits 9 times as long before writing telemetry again', async () => {
    const path = join(await dirs.make('telemetry-slow-flush'), format.name);
    const gate = gatedIO();
    const store = format.open({ path, io: gate.io, telemetryFlushMs: 5 });
    const license = twoDeviceLicense();
    await store.insert(license);
    const written = async () => (await reread(format, path, license.key))?.validationCount;
    gate.shut();
    await store.update(license.key, seenBy('a', at(1)));
    await vi.waitFor(() => expect(gate.waiting()).toBe(true)); // flushed after 5 ms, held at its fsync
    await sleep(100); // so the flush takes at least 100 ms
    gate.open();
    await vi.waitFor(async () => expect(await written()).toBe(1));
    await store.update(license.key, seenBy('a', at(2)));
    await sleep(300); // 5 ms would have passed long ago; 9 × 100 ms not yet
    expect(await written()).toBe(1);
    await vi.waitFor(async () => expect(await written()).toBe(2), { timeout: 10_000, interval: 100 });
    await store.close();
  });
});

describe.each([
  { name: 'memory storage', open: async () => memoryStorage().licenses },
  ...formats.map(({ name, open }) => ({
    name,
    open: async () => open({ path: join(await dirs.make('telemetry-frozen'), name) }),
  })),
])('a telemetry-only record on $name', ({ open }) => {
  it('is kept with its devices frozen, also when its mutate froze only the record', async () => {
    const store = await open();
    const license = twoDeviceLicense();
    await store.insert(license);
    // Frozen by the caller, who keeps the devices: the store must not keep them changeable.
    const devices = seenBy('a', at(1))(license).devices;
    const stored = await store.update(license.key, (current) =>
      Object.freeze({ ...seenBy('a', at(1))(current), devices }),
    );
    expect(() => {
      devices[0]!.hardwareId = 'changed';
    }).toThrow(TypeError);
    expect(() => devices.push(devices[0]!)).toThrow(TypeError);
    expect((await store.get(license.key))?.devices).toEqual(stored?.devices);
    expect(stored?.devices.map((device) => device.hardwareId)).toEqual(['a', 'b']);
    await store.close();
  });
});

describe('telemetryFlushDelay', () => {
  it('is the configured delay, or 9 times the last flush when longer, up to 60 s', () => {
    expect(telemetryFlushDelay(1000, 10)).toBe(1000);
    expect(telemetryFlushDelay(1000, 200)).toBe(1800);
    expect(telemetryFlushDelay(5, 100)).toBe(900);
    expect(telemetryFlushDelay(1000, 10_000)).toBe(60_000);
    expect(telemetryFlushDelay(120_000, 0)).toBe(120_000);
  });
});
