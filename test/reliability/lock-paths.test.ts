import { lstat, mkdir, readdir, symlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileLock } from '../../src/adapters/node/file-lock.js';
import type { LicenseKitError } from '../../src/domain/errors.js';
import { fileStorage, jsonFileLicenseStore, jsonlLicenseStore, jsonlPurchaseLog } from '../../src/node.js';
import { licenseFixture, purchaseRecordFixture } from '../../src/testing/fixtures.js';
import { spawnChild } from '../helpers/child.js';
import { TempDirs } from '../helpers/temp-dir.js';

// L5: one lock per store, whichever adapter opens its files and however their directory is spelled.

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

/** How many of `keys` a fresh store (under a lock of its own) finds in the file at `path`. */
async function countOnDisk(path: string, keys: string[]): Promise<number> {
  const reread = jsonFileLicenseStore({ path, lockPath: `${path}.check-lock` });
  let present = 0;
  for (const key of keys) if (await reread.get(key)) present++;
  await reread.close();
  return present;
}

/** A directory `real` and a symlink `alias` to it. */
async function symlinkedDir(label: string): Promise<{ real: string; alias: string }> {
  const root = await dirs.make(label);
  const real = join(root, 'real');
  await mkdir(real);
  await symlink(real, join(root, 'alias'));
  return { real, alias: join(root, 'alias') };
}

describe('the default lock of a store file is .lock in its real directory', () => {
  it('fileStorage({dir}) and jsonFileLicenseStore({path: dir/licenses.json}) do not lose acknowledged inserts', async () => {
    const dir = await dirs.make('lock-mismatch');
    const path = join(dir, 'licenses.json');
    const cli = fileStorage({ dir, reconcileOnOpen: false }).licenses;
    const server = jsonFileLicenseStore({ path });
    const a = Array.from({ length: 30 }, () => licenseFixture());
    const b = Array.from({ length: 30 }, () => licenseFixture());
    await Promise.all([
      (async () => {
        for (const l of a) await cli.insert(l);
      })(),
      (async () => {
        for (const l of b) await server.insert(l);
      })(),
    ]);
    await cli.close();
    await server.close();
    expect(
      await countOnDisk(
        path,
        [...a, ...b].map((l) => l.key),
      ),
    ).toBe(60);
  });

  // Each side, under its own lock, would take the other's fresh append for a torn tail and cut it off.
  it('fileStorage({dir}).purchases and jsonlPurchaseLog({path: dir/purchases.jsonl}) keep every acknowledged record', async () => {
    const dir = await dirs.make('lock-mismatch-log');
    const path = join(dir, 'purchases.jsonl');
    const cli = fileStorage({ dir, reconcileOnOpen: false }).purchases;
    const server = jsonlPurchaseLog({ path });
    const a = Array.from({ length: 30 }, () => purchaseRecordFixture());
    const b = Array.from({ length: 30 }, () => purchaseRecordFixture());
    const acked: string[] = [];
    const errors: string[] = [];
    const run = async (log: typeof server, records: typeof a) => {
      for (const r of records) {
        try {
          if (await log.append(r)) acked.push(r.id);
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
    };
    await Promise.all([run(cli, a), run(server, b)]);
    await cli.close();
    await server.close();
    const reread = jsonlPurchaseLog({ path, lockPath: `${path}.check-lock` });
    const stored = new Set<string>();
    let scanError: string | null = null;
    try {
      for await (const r of reread.scan()) stored.add(r.id);
    } catch (error) {
      scanError = (error as Error).message;
    }
    await reread.close();
    expect({
      firstError: errors[0] ?? null,
      scanError,
      acked: acked.length,
      missing: acked.filter((id) => !stored.has(id)).length,
    }).toEqual({ firstError: null, scanError: null, acked: 60, missing: 0 });
  });

  it('every file adapter, through a symlink or a relative path, waits for a process holding <real dir>/.lock', async () => {
    const { real, alias } = await symlinkedDir('lock-default');
    const holder = spawnChild('lock-holder.ts', [join(real, '.lock')]);
    await holder.waitForLine((line) => line === 'HELD');
    const lockTimeoutMs = 300;
    const relativeDir = relative(process.cwd(), real);
    const stores = [
      jsonFileLicenseStore({ path: join(alias, 'licenses.json'), lockTimeoutMs }),
      jsonlLicenseStore({ path: join(relativeDir, 'licenses.jsonl'), lockTimeoutMs }),
    ];
    const log = jsonlPurchaseLog({ path: join(alias, 'purchases.jsonl'), lockTimeoutMs });
    const outcome = (write: Promise<unknown>) =>
      write.then(
        () => 'written',
        (error: LicenseKitError) => error.code,
      );
    const whileHeld = await Promise.all([
      ...stores.map((store) => outcome(store.insert(licenseFixture()))),
      outcome(log.append(purchaseRecordFixture())),
    ]);
    await holder.kill();
    const afterExit = await Promise.all([
      ...stores.map((store) => outcome(store.insert(licenseFixture()))),
      outcome(log.append(purchaseRecordFixture())),
    ]);
    await Promise.all([...stores.map((store) => store.close()), log.close()]);
    expect({
      whileHeld,
      afterExit,
      lockFiles: (await readdir(real)).filter((name) => name.includes('lock')),
    }).toEqual({
      whileHeld: Array(3).fill('STORAGE_LOCK_TIMEOUT'),
      afterExit: Array(3).fill('written'),
      lockFiles: [],
    });
  });
});

describe('one process, one lock, however reached', () => {
  // The in-process queue was keyed by path.resolve(), which does not resolve symlinks: two stores
  // reaching one lock file by two spellings each took the other's token (same pid and thread) for
  // a leftover and broke it, so both held the lock.
  it('one store opened through a symlinked directory and through its real path: no insert fails or is lost', async () => {
    const { real, alias } = await symlinkedDir('lock-symlink');
    const s1 = fileStorage({ dir: real, reconcileOnOpen: false }).licenses;
    const s2 = fileStorage({ dir: alias, reconcileOnOpen: false }).licenses;
    const a = Array.from({ length: 30 }, () => licenseFixture());
    const b = Array.from({ length: 30 }, () => licenseFixture());
    const errors: string[] = [];
    await Promise.all([
      ...a.map((l) => s1.insert(l).catch((e) => errors.push(String(e.message)))),
      ...b.map((l) => s2.insert(l).catch((e) => errors.push(String(e.message)))),
    ]);
    await s1.close();
    await s2.close();
    const present = await countOnDisk(
      join(real, 'licenses.json'),
      [...a, ...b].map((l) => l.key),
    );
    expect({ errors: errors.length, sample: errors.slice(0, 1), present }).toEqual({
      errors: 0,
      sample: [],
      present: 60,
    });
  });

  it('two copies of licensekit loaded in one thread exclude each other and never break the other’s lock', async () => {
    const dir = await dirs.make('lock-copies');
    const specifier = '../../src/adapters/node/file-lock.js?copy=2';
    const copy = (await import(/* @vite-ignore */ specifier)) as { FileLock: typeof FileLock };
    expect(copy.FileLock).not.toBe(FileLock);
    const locks = [FileLock.for(join(dir, '.lock')), copy.FileLock.for(join(dir, '.lock'))];
    let inside = 0;
    let most = 0;
    const errors: string[] = [];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        locks[i % 2]!.run(async (fence) => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setTimeout(resolve, 2));
          await fence().catch((error: Error) => errors.push(error.message));
          inside--;
        }),
      ),
    );
    expect({ most, errors }).toEqual({ most: 1, errors: [] });
  });
});

describe('a store file reached through a symlink to the file is one store with its target', () => {
  // Before: only the directory was resolved, so `other/<file>` -> `real/<file>` locked `other/.lock`:
  // two openers of one file under two locks (each cut the other's fresh appends as torn tails), and
  // the atomic rename of licenses.json replaced the link with a file of its own.
  it('every file adapter waits for a process holding the .lock beside the real file, then writes into the target', async () => {
    const root = await dirs.make('lock-symlinked-file');
    const real = join(root, 'real');
    const other = join(root, 'other');
    await mkdir(real);
    await mkdir(other);
    const seed = jsonlPurchaseLog({ path: join(real, 'purchases.jsonl') });
    await seed.append(purchaseRecordFixture()); // an existing file, and links to files not created yet
    await seed.close();
    const names = ['licenses.json', 'licenses.jsonl', 'purchases.jsonl'];
    for (const name of names) await symlink(join(real, name), join(other, name));
    const holder = spawnChild('lock-holder.ts', [join(real, '.lock')]);
    await holder.waitForLine((line) => line === 'HELD');
    const lockTimeoutMs = 300;
    const stores = [
      jsonFileLicenseStore({ path: join(other, 'licenses.json'), lockTimeoutMs }),
      jsonlLicenseStore({ path: join(other, 'licenses.jsonl'), lockTimeoutMs }),
    ];
    const log = jsonlPurchaseLog({ path: join(other, 'purchases.jsonl'), lockTimeoutMs });
    const licenses = stores.map(() => licenseFixture());
    const record = purchaseRecordFixture();
    const outcome = (write: Promise<unknown>) =>
      write.then(
        () => 'written',
        (error: LicenseKitError) => error.code,
      );
    const write = () =>
      Promise.all([
        ...stores.map((store, i) => outcome(store.insert(licenses[i]!))),
        outcome(log.append(record)),
      ]);
    const whileHeld = await write();
    await holder.kill();
    const afterExit = await write();
    await Promise.all([...stores.map((store) => store.close()), log.close()]);
    const links = await Promise.all(
      names.map(async (name) => (await lstat(join(other, name))).isSymbolicLink()),
    );
    const reread = [
      jsonFileLicenseStore({ path: join(real, 'licenses.json') }),
      jsonlLicenseStore({ path: join(real, 'licenses.jsonl') }),
    ];
    const found = await Promise.all(reread.map(async (store, i) => (await store.get(licenses[i]!.key))?.key));
    const logged = jsonlPurchaseLog({ path: join(real, 'purchases.jsonl') });
    const inLog = await logged.has(record);
    await Promise.all([...reread.map((store) => store.close()), logged.close()]);
    expect({
      whileHeld,
      afterExit,
      links,
      found,
      inLog,
      otherDir: (await readdir(other)).sort(),
    }).toEqual({
      whileHeld: Array(3).fill('STORAGE_LOCK_TIMEOUT'),
      afterExit: Array(3).fill('written'),
      links: [true, true, true],
      found: licenses.map((l) => l.key),
      inLog: true,
      otherDir: names,
    });
  });
});

it('a store opens in a directory that does not exist yet (default and explicit lockPath)', async () => {
  const root = await dirs.make('first-open');
  const storage = fileStorage({ dir: join(root, 'a', 'b'), reconcileOnOpen: false });
  await storage.licenses.insert(licenseFixture());
  await storage.purchases.append(purchaseRecordFixture());
  const journal = jsonlLicenseStore({ path: join(root, 'x', 'y', 'l.jsonl') });
  await journal.insert(licenseFixture());
  const log = jsonlPurchaseLog({
    path: join(root, 'p', 'q.jsonl'),
    lockPath: join(root, 'p', 'locks', 'q.lock'),
  });
  expect(await log.append(purchaseRecordFixture())).toBe(true);
  await Promise.all([storage.licenses.close(), storage.purchases.close(), journal.close(), log.close()]);
});
