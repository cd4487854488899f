import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { type FileIO, nodeFileIO } from '../../src/adapters/node/file-io.js';
import type { LicenseStore } from '../../src/index.js';
import { jsonFileLicenseStore } from '../../src/node.js';
import { licenseFixture } from '../../src/testing.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it('a read during its own write never makes the store re-read the whole file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'licensekit-own-writes-'));
  dirs.push(dir);
  const path = join(dir, 'licenses.json');
  let fullReads = 0;
  let store: LicenseStore | undefined;
  const pending: Promise<unknown>[] = [];
  // At the commit point of a write, ask for a key the store does not know: that forces a look at the file.
  const io: FileIO = {
    ...nodeFileIO,
    readFile: async (file) => {
      if (file === path) fullReads++;
      return nodeFileIO.readFile(file);
    },
    rename: async (from, to) => {
      await nodeFileIO.rename(from, to);
      if (to === path) pending.push(store!.get('NO-SUCH-KEY'));
    },
  };
  store = jsonFileLicenseStore({ path, io });
  await store.insert(licenseFixture());
  await store.insert(licenseFixture());
  await Promise.all(pending);
  expect(pending).toHaveLength(2);
  expect(fullReads).toBe(0); // the file did not exist at open, and the store wrote every version itself
  await store.close();
});
