import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryStorage, type Storage, StorageError } from '../../src/index.js';
import { fileStorage, jsonFileLicenseStore, jsonlLicenseStore, jsonlPurchaseLog } from '../../src/node.js';
import { licenseFixture, purchaseRecordFixture } from '../../src/testing.js';
import { TempDirs } from '../helpers/temp-dir.js';

// A store used after close() rejects with STORAGE_CLOSED, and that error is a StorageError, like
// every other storage failure, so `catch (e) { if (e instanceof StorageError) … }` catches it. That
// holds from the moment close() is called, whatever was in flight.

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

const builtIns: [string, () => Promise<Storage>][] = [
  ['memoryStorage', async () => memoryStorage()],
  ['fileStorage', async () => fileStorage({ dir: await dirs.make('closed-file') })],
  [
    'JSONL stores',
    async () => {
      const dir = await dirs.make('closed-jsonl');
      return {
        licenses: jsonlLicenseStore({ path: join(dir, 'licenses.jsonl') }),
        purchases: jsonlPurchaseLog({ path: join(dir, 'purchases.jsonl') }),
      };
    },
  ],
];

describe.each(builtIns)('%s after close()', (_, open) => {
  it('rejects reads and writes with a StorageError coded STORAGE_CLOSED', async () => {
    const storage = await open();
    const license = licenseFixture();
    await storage.licenses.insert(license);
    await storage.licenses.close();
    await storage.purchases.close();
    const calls = [
      storage.licenses.get(license.key),
      storage.licenses.update(license.key, (current) => current),
      storage.purchases.append(purchaseRecordFixture()),
      // Bad input too: a closed store says it is closed before it looks at what it is given.
      storage.licenses.insert({ ...licenseFixture(), key: '' }),
      storage.purchases.append({ ...purchaseRecordFixture(), id: '' }),
    ];
    for (const call of calls) {
      const error = await call.then(
        () => null,
        (rejection: unknown) => rejection,
      );
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ code: 'STORAGE_CLOSED' });
    }
  });
});

describe.each([
  ['licenses.json', jsonFileLicenseStore],
  ['licenses.jsonl', jsonlLicenseStore],
] as const)('%s closed while a read is in flight', (name, open) => {
  it('stays closed when the read ends: no answer from memory, no validation acknowledged', async () => {
    const path = join(await dirs.make('closed-in-flight'), name);
    const store = open({ path, refreshMs: 60_000 });
    const license = licenseFixture();
    await store.insert(license);
    const reading = store.get('NO-SUCH-KEY'); // a miss looks at the file again
    await store.close();
    await reading.catch(() => undefined);
    const validate = store.update(license.key, (current) => ({
      ...current,
      lastValidatedAt: '2025-01-01T00:00:01.000Z',
      validationCount: current.validationCount + 1,
    }));
    for (const call of [store.get(license.key), validate]) {
      await expect(call).rejects.toBeInstanceOf(StorageError);
      await expect(call).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
    }
    const reopened = open({ path });
    expect(await reopened.get(license.key)).toEqual(license);
    await reopened.close();
  });
});
