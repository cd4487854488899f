import { realpath, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeFileIO } from '../../src/adapters/node/file-io.js';
import { StorePath } from '../../src/adapters/node/store-path.js';
import { jsonlPurchaseLog } from '../../src/node.js';
import { purchaseRecordFixture } from '../../src/testing/fixtures.js';
import { TempDirs } from '../helpers/temp-dir.js';

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

/** How resolving `path` ends: the real path, or the error's code and its cause's code. */
function outcome(path: string): Promise<string> {
  return new StorePath(nodeFileIO, path).real().then(
    (real) => real,
    (error: { code?: string; cause?: { code?: string } }) => `${error.code} (${error.cause?.code})`,
  );
}

/** Links `<dir>/link<n>` -> `link<n+1>` for n < count, the last to `file`: a chain of `count` links. */
async function chain(dir: string, count: number): Promise<string> {
  for (let n = 0; n < count; n++) {
    await symlink(n === count - 1 ? 'file.jsonl' : `link${n + 1}`, join(dir, `link${n}`));
  }
  return join(dir, 'link0');
}

describe('a store path through symlinks that never settle', () => {
  // Before: realpath says ENOENT (nodir is missing), resolving the target as a string lands on the
  // link again, and StorePath followed it forever: every call on the store hung.
  it('x.jsonl -> nodir/../x.jsonl fails with STORAGE_IO (ELOOP) instead of looping forever', async () => {
    const dir = await dirs.make('store-path-dotdot');
    const path = join(dir, 'x.jsonl');
    await symlink('nodir/../x.jsonl', path);
    const log = jsonlPurchaseLog({ path });
    const has = await log.has(purchaseRecordFixture()).then(String, (error) => error.code);
    await log.close();
    expect({ real: await outcome(path), has }).toEqual({ real: 'STORAGE_IO (ELOOP)', has: 'STORAGE_IO' });
  });

  it('follows a chain of 40 links to a file not created yet, and no more, as the kernel does', async () => {
    const dir = await dirs.make('store-path-40');
    const forty = await chain(dir, 40);
    const fortyOne = await chain(await dirs.make('store-path-41'), 41);
    expect({ forty: await outcome(forty), fortyOne: await outcome(fortyOne) }).toEqual({
      forty: join(await realpath(dir), 'file.jsonl'),
      fortyOne: 'STORAGE_IO (ELOOP)',
    });
  });
});
