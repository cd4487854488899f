import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type FileIO, nodeFileIO } from '../../src/adapters/node/file-io.js';
import type { License } from '../../src/index.js';
import { jsonlLicenseStore } from '../../src/node.js';
import { licenseFixture } from '../../src/testing.js';
import { collect } from '../helpers/storage.js';
import { TempDirs } from '../helpers/temp-dir.js';

// The JSONL license journal compacts itself (a fresh file replaces it) once it holds more than twice
// its licenses and a thousand lines; another store on the same file then reads the new file afresh.

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

const renamed =
  (name: string) =>
  (license: License): License => ({ ...license, customerName: name });

/** Fills `writer`'s journal with 50 licenses and enough lines that the next write compacts it. */
async function dueForCompaction(writer: ReturnType<typeof jsonlLicenseStore>): Promise<License[]> {
  const licenses = Array.from({ length: 50 }, () => licenseFixture());
  for (const license of licenses) await writer.insert(license);
  for (let i = 0; i < 1050; i++) await writer.update(licenses[0]!.key, renamed(`w${i}`));
  return licenses;
}

describe('a JSONL license journal that another store compacts', () => {
  it('list() never shows a part of it while this store reads the new file', async () => {
    const path = join(await dirs.make('jsonl-list-compaction'), 'licenses.jsonl');
    const reader = jsonlLicenseStore({ path });
    const writer = jsonlLicenseStore({ path });
    const licenses = await dueForCompaction(writer);
    expect(await collect(reader.list())).toHaveLength(50); // read, and fresh for 100 ms
    const before = (await stat(path)).ino;
    await writer.update(licenses[0]!.key, renamed('compacting'));
    expect((await stat(path)).ino).not.toBe(before);
    // Within those 100 ms the reader writes (so it reads the new file) and lists meanwhile.
    let done = false;
    const write = reader.insert(licenseFixture()).finally(() => {
      done = true;
    });
    let fewest = Number.POSITIVE_INFINITY;
    while (!done) {
      fewest = Math.min(fewest, (await collect(reader.list())).length);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await write;
    await reader.close();
    await writer.close();
    expect(fewest).toBeGreaterThanOrEqual(50);
  });
});

describe('a compaction whose directory fsync fails after the rename', () => {
  /** File operations failing the fsync right after the next rename onto `path` (while `armed`). */
  function failingAfterRename(path: string) {
    const state = { armed: true, failures: 0 };
    let failNextFsync = false;
    const io: FileIO = {
      ...nodeFileIO,
      rename: async (from, to) => {
        await nodeFileIO.rename(from, to);
        if (state.armed && from.endsWith('.tmp') && to === path) {
          state.armed = false;
          failNextFsync = true; // the directory's, right after the compaction's rename
        }
      },
      fsync: async (fd) => {
        if (!failNextFsync) return nodeFileIO.fsync(fd);
        failNextFsync = false;
        state.failures++;
        throw Object.assign(new Error('EIO injected'), { code: 'EIO' });
      },
    };
    return { io, state };
  }

  it('counts the telemetry it wrote once: the new file is known as this store wrote it', async () => {
    const path = join(await dirs.make('jsonl-dir-fsync'), 'licenses.jsonl');
    const { io, state } = failingAfterRename(path);
    const store = jsonlLicenseStore({ path, io, telemetryFlushMs: 600_000 });
    const validated = licenseFixture();
    const busy = licenseFixture();
    await store.insert(validated);
    await store.insert(busy);
    for (let i = 0; i < 5; i++) {
      await store.update(validated.key, (license) => ({
        ...license,
        validationCount: license.validationCount + 1,
      }));
    }
    for (let i = 0; i < 1100; i++) await store.update(busy.key, renamed(`b${i}`)); // compacts
    expect(state.failures).toBe(1);
    await store.update(busy.key, renamed('last'));
    expect((await store.get(validated.key))?.validationCount).toBe(5);
    await store.close();
    const reopened = jsonlLicenseStore({ path });
    expect((await reopened.get(busy.key))?.customerName).toBe('last');
    expect((await reopened.get(validated.key))?.validationCount).toBe(5);
    await reopened.close();
  });

  it('counts the telemetry it wrote once when another store reads the new file', async () => {
    const path = join(await dirs.make('jsonl-dir-fsync-two'), 'licenses.jsonl');
    const { io, state } = failingAfterRename(path);
    state.armed = false;
    const a = jsonlLicenseStore({ path, io, telemetryFlushMs: 600_000 });
    const b = jsonlLicenseStore({ path, telemetryFlushMs: 600_000 });
    const licenses = await dueForCompaction(a);
    const validated = licenses[1]!;
    const validate = (license: License): License => ({
      ...license,
      validationCount: license.validationCount + 1,
    });
    await a.update(validated.key, validate);
    state.armed = true;
    await a.update(licenses[0]!.key, renamed('compacting')); // appended, then compacted: the fsync fails
    expect(state.failures).toBe(1);
    await b.update(validated.key, validate); // b reads the new file, which holds a's validation
    await b.close();
    await a.close();
    const reopened = jsonlLicenseStore({ path });
    expect((await reopened.get(validated.key))?.validationCount).toBe(validated.validationCount + 2);
    await reopened.close();
  });
});
