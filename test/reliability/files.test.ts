import { appendFile, link, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileStorage, jsonlLicenseStore, jsonlPurchaseLog } from '../../src/node.js';
import { licenseFixture } from '../../src/testing/fixtures.js';
import { fileMode, inspectJsonl, leftoverFiles, tornFiles } from '../helpers/files.js';
import { closeStorage, recordFor } from '../helpers/storage.js';
import { TempDirs } from '../helpers/temp-dir.js';

// Data files: private modes, a format/version header, and a backup of the previous generation.

const dirs = new TempDirs();
afterEach(() => dirs.removeAll());

/** Runs `body` with the process umask set to 0 (nothing masked), restoring it afterwards. */
async function withUmask0(body: () => Promise<void>): Promise<void> {
  const previous = process.umask(0);
  try {
    await body();
  } finally {
    process.umask(previous);
  }
}

describe('file modes', () => {
  it('licenses.json, its .bak, purchases.jsonl, the journal and torn-tail copies are 0600 under umask 0', async () => {
    const dir = await dirs.make('modes');
    await withUmask0(async () => {
      const storage = fileStorage({ dir });
      for (const license of [licenseFixture(), licenseFixture()]) {
        await storage.licenses.insert(license);
        await storage.purchases.append(recordFor(license));
      }
      await closeStorage(storage);
      const journal = jsonlLicenseStore({ path: join(dir, 'licenses.jsonl') });
      await journal.insert(licenseFixture());
      await journal.close();
      await appendFile(join(dir, 'purchases.jsonl'), '{"kind":"purch');
      const log = jsonlPurchaseLog({ path: join(dir, 'purchases.jsonl') });
      await log.append(recordFor(licenseFixture()));
      await log.close();
    });
    const torn = await tornFiles(dir);
    expect(torn).toHaveLength(1);
    for (const name of ['licenses.json', 'licenses.json.bak', 'purchases.jsonl', 'licenses.jsonl', ...torn]) {
      expect((await fileMode(join(dir, name))).toString(8), name).toBe('600');
    }
  });
});

describe('format headers', () => {
  it('every file says what it is and which version wrote it', async () => {
    const dir = await dirs.make('headers');
    const storage = fileStorage({ dir });
    const license = licenseFixture();
    await storage.licenses.insert(license);
    await storage.purchases.append(recordFor(license));
    await closeStorage(storage);
    const journal = jsonlLicenseStore({ path: join(dir, 'licenses.jsonl') });
    await journal.insert(licenseFixture());
    await journal.close();

    const document = JSON.parse(await readFile(join(dir, 'licenses.json'), 'utf8'));
    expect(document).toMatchObject({ format: 'licensekit-licenses', version: 1, generation: 1 });
    expect(document.licenses).toEqual([license]);
    // JSONL headers also carry the random epoch of the file's generation.
    const epoch = expect.stringMatching(/^[0-9a-f]{16}$/);
    expect((await inspectJsonl(join(dir, 'purchases.jsonl')))?.values[0]).toEqual({
      format: 'licensekit-purchases',
      version: 1,
      epoch,
    });
    expect((await inspectJsonl(join(dir, 'licenses.jsonl')))?.values[0]).toEqual({
      format: 'licensekit-license-journal',
      version: 1,
      epoch,
    });
  });
});

describe('licenses.json.bak', () => {
  it('holds the previous generation after every write', async () => {
    const dir = await dirs.make('bak');
    const path = join(dir, 'licenses.json');
    const storage = fileStorage({ dir });
    const license = licenseFixture();
    await storage.licenses.insert(license);
    const writes = [
      () => storage.licenses.insert(licenseFixture()),
      () => storage.licenses.update(license.key, (l) => ({ ...l, status: 'suspended' })),
      () => storage.licenses.insert(licenseFixture()),
    ];
    for (const write of writes) {
      const previous = await readFile(path);
      await write();
      expect((await readFile(`${path}.bak`)).equals(previous)).toBe(true);
      expect(JSON.parse(previous.toString('utf8')).generation).toBe(
        JSON.parse(await readFile(path, 'utf8')).generation - 1,
      );
    }
    await closeStorage(storage);
  });

  it('is replaced cleanly when it already is the current file (a writer died between backup and rename)', async () => {
    const dir = await dirs.make('bak-same');
    const path = join(dir, 'licenses.json');
    const first = fileStorage({ dir });
    await first.licenses.insert(licenseFixture());
    await closeStorage(first);
    // What a writer killed after keeping its backup, before its rename, leaves: .bak = licenses.json.
    await rm(`${path}.bak`, { force: true });
    await link(path, `${path}.bak`);
    const current = await readFile(path);

    const storage = fileStorage({ dir });
    await storage.licenses.insert(licenseFixture());
    await closeStorage(storage);
    expect(await leftoverFiles(dir)).toEqual([]);
    expect((await readFile(`${path}.bak`)).equals(current)).toBe(true);
  });
});
