import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isLicenseKitError } from '../../src/domain/errors.js';
import { fileStorage } from '../../src/node.js';
import { licenseFixture } from '../../src/testing/fixtures.js';
import { spawnChild } from '../helpers/child.js';
import { leftoverFiles } from '../helpers/files.js';
import { closeStorage, collect } from '../helpers/storage.js';
import { TempDirs } from '../helpers/temp-dir.js';

// L1 / L2: the cross-process lock of a fileStorage dir (`<dir>/.lock`) against dead and live holders.

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

/** The pid in the lock file, or null when there is none. */
async function lockOwner(dir: string): Promise<number | null> {
  const text = await readFile(join(dir, '.lock'), 'utf8').catch(() => null);
  return text === null ? null : (JSON.parse(text) as { pid: number }).pid;
}

/** Inserts one license through a fresh fileStorage; returns how long it took. */
async function timedInsert(dir: string): Promise<{ ms: number; key: string }> {
  const storage = fileStorage({ dir });
  const license = licenseFixture();
  const started = performance.now();
  try {
    expect((await storage.licenses.insert(license)).created).toBe(true);
    return { ms: performance.now() - started, key: license.key };
  } finally {
    await closeStorage(storage);
  }
}

describe('a lock whose owner died', () => {
  it('is taken over at once when its holder was killed holding it', async () => {
    const dir = await dirs.make('lock-dead');
    const holder = spawnChild('lock-holder.ts', [join(dir, '.lock')]);
    await holder.waitForLine((line) => line === 'HELD');
    await holder.kill();
    expect(await lockOwner(dir)).toBe(holder.pid);

    const { ms } = await timedInsert(dir);
    expect(ms).toBeLessThan(2000);
    expect(await lockOwner(dir)).toBeNull();
    expect(await leftoverFiles(dir)).toEqual([]);
  });

  it('is taken over at once when its holder was killed inside a write (temp file written, not renamed)', async () => {
    const dir = await dirs.make('lock-dead-write');
    const writer = spawnChild('slow-fsync-writer.ts', [dir]);
    await writer.waitForLine((line) => line === 'IN_FSYNC');
    await writer.kill();
    expect(await lockOwner(dir)).toBe(writer.pid);
    expect((await leftoverFiles(dir)).some((name) => name.startsWith(`licenses.json.${writer.pid}.`))).toBe(
      true,
    );

    const { ms, key } = await timedInsert(dir);
    expect(ms).toBeLessThan(2000);
    expect(await leftoverFiles(dir)).toEqual([]);
    const storage = fileStorage({ dir });
    expect((await collect(storage.licenses.list())).map((license) => license.key)).toEqual([key]);
    await closeStorage(storage);
  });
});

describe('leftovers of a process killed while taking the lock', () => {
  it('are swept by the next store that takes the lock, also in a process that took it before', async () => {
    const dir = await dirs.make('lock-orphan');
    await timedInsert(dir); // this process has held the lock (and swept) already
    const holder = spawnChild('lock-holder.ts', [join(dir, '.lock')]);
    await holder.waitForLine((line) => line === 'HELD');
    await holder.kill();
    // A kill between writing its token and linking it into place leaves `.lock.<pid>.<id>.tmp`.
    const orphan = `.lock.${holder.pid}.0123456789abcdef.tmp`;
    await writeFile(join(dir, orphan), JSON.stringify({ pid: holder.pid }));
    expect(await leftoverFiles(dir)).toEqual([orphan]);

    await timedInsert(dir);
    expect(await leftoverFiles(dir)).toEqual([]);
  });
});

describe('a lock held by a live process that never lets go', () => {
  it('makes an insert with lockTimeoutMs: 300 reject with STORAGE_LOCK_TIMEOUT', async () => {
    const dir = await dirs.make('lock-live');
    // This process has used the dir before with the default timeout (10 s): the 300 ms of the
    // storage opened below must still apply.
    await timedInsert(dir);
    const holder = spawnChild('lock-holder.ts', [join(dir, '.lock')]);
    try {
      await holder.waitForLine((line) => line === 'HELD');
      const storage = fileStorage({ dir, lockTimeoutMs: 300 });
      const started = performance.now();
      const error = await storage.licenses.insert(licenseFixture()).then(
        () => null,
        (e: unknown) => e,
      );
      const ms = performance.now() - started;
      expect(isLicenseKitError(error, 'STORAGE_LOCK_TIMEOUT'), String(error)).toBe(true);
      expect(ms).toBeGreaterThanOrEqual(290);
      expect(ms).toBeLessThan(2000);
      expect(await lockOwner(dir)).toBe(holder.pid);
      await closeStorage(storage);
    } finally {
      await holder.kill();
    }
  });
});
