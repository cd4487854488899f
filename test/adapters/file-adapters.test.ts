import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FileIO, nodeFileIO } from '../../src/adapters/node/file-io.js';
import {
  type AuditRecord,
  createdRecordId,
  type License,
  type LicenseStore,
  type Storage,
} from '../../src/index.js';
import { fileStorage, jsonFileLicenseStore, jsonlLicenseStore, jsonlPurchaseLog } from '../../src/node.js';
import { licenseFixture, runStorageConformance } from '../../src/testing.js';

/** Every built-in file adapter passes the exported conformance suite, including across a reopen. */
const dirs = new WeakMap<Storage, string>();

function onDir(name: string, open: (dir: string) => Storage) {
  return {
    name,
    createStorage: () => {
      const dir = mkdtempSync(join(tmpdir(), 'licensekit-conformance-'));
      const storage = open(dir);
      dirs.set(storage, dir);
      return storage;
    },
    reopen: (storage: Storage) => {
      const dir = dirs.get(storage)!;
      const reopened = open(dir);
      dirs.set(reopened, dir);
      return reopened;
    },
    destroy: (storage: Storage) => rmSync(dirs.get(storage)!, { recursive: true, force: true }),
  };
}

// fileStorage as a user opens it (reconciling on open: the suite's licenses have their `created`
// records, as the manager writes them), and without the reconciliation, which has its own test below.
runStorageConformance(
  { describe, it },
  onDir('fileStorage', (dir) => fileStorage({ dir })),
);

runStorageConformance(
  { describe, it },
  onDir('fileStorage, reconcileOnOpen: false', (dir) => fileStorage({ dir, reconcileOnOpen: false })),
);

runStorageConformance(
  { describe, it },
  onDir('jsonFileLicenseStore + jsonlPurchaseLog', (dir) => ({
    licenses: jsonFileLicenseStore({ path: join(dir, 'licenses.json') }),
    purchases: jsonlPurchaseLog({ path: join(dir, 'purchases.jsonl') }),
  })),
);

runStorageConformance(
  { describe, it },
  onDir('jsonlLicenseStore + jsonlPurchaseLog', (dir) => ({
    licenses: jsonlLicenseStore({ path: join(dir, 'licenses.jsonl') }),
    purchases: jsonlPurchaseLog({ path: join(dir, 'purchases.jsonl') }),
  })),
);

describe('fileStorage reconciles a crash between its two files on open', () => {
  it('appends the missing created record once, and the writer that comes back adds no second one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensekit-reconcile-'));
    try {
      // A process wrote the license, then died before its audit records.
      const crashed = fileStorage({ dir, reconcileOnOpen: false });
      const license = licenseFixture();
      await crashed.licenses.insert(license);
      await crashed.licenses.close();
      await crashed.purchases.close();

      const [first, second] = [fileStorage({ dir }), fileStorage({ dir })];
      await Promise.all([first.licenses.get(license.key), second.licenses.get(license.key)]);
      const created = await collect(first.purchases.scan({ kind: 'license', action: 'created' }));
      expect(created).toEqual([
        {
          kind: 'license',
          id: createdRecordId(license),
          recordedAt: license.createdAt,
          action: 'created',
          licenseKey: license.key,
          reason: 'reconciled',
          actor: 'licensekit',
        },
      ]);
      // The manager's own created record carries the same id, so it is a duplicate now.
      const late = { ...created[0]!, reason: null, actor: 'webhook' } as AuditRecord;
      expect(await second.purchases.append(late)).toBe(false);
      for (const storage of [first, second]) {
        await storage.licenses.close();
        await storage.purchases.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a stored license the schema accepts only trimmed', () => {
  const formats = [
    { name: 'licenses.json', open: (path: string) => jsonFileLicenseStore({ path }) },
    { name: 'licenses.jsonl', open: (path: string) => jsonlLicenseStore({ path }) },
  ];
  for (const { name, open } of formats) {
    it(`${name}: opens with the trimmed record, as the schema returns it`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'licensekit-trimmed-'));
      try {
        const path = join(dir, name);
        const license = licenseFixture();
        const store = open(path);
        await store.insert(license);
        await store.close();
        // Edited by hand: the stored key gained a trailing space.
        writeFileSync(path, readFileSync(path, 'utf8').replace(`"${license.key}"`, `"${license.key} "`));

        const reopened = open(path);
        expect(await reopened.get(license.key)).toEqual(license);
        await reopened.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('two instances on one file (as two processes)', () => {
  const formats = [
    { name: 'licenses.json', open: (path: string) => jsonFileLicenseStore({ path }) },
    { name: 'licenses.jsonl', open: (path: string) => jsonlLicenseStore({ path }) },
  ];
  for (const { name, open } of formats) {
    it(`${name}: list() yields each license once while the other instance writes`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'licensekit-list-refresh-'));
      const [mine, theirs] = [open(join(dir, name)), open(join(dir, name))];
      try {
        const inserted = [licenseFixture(), licenseFixture(), licenseFixture(), licenseFixture()];
        for (const license of inserted) await mine.insert(license);
        const seen: string[] = [];
        for await (const license of mine.list()) {
          seen.push(license.key);
          if (seen.length === 2) {
            await theirs.insert(licenseFixture()); // the other instance writes …
            await mine.get('NO-SUCH-KEY'); // … and this one reads the file again (a miss re-checks it)
          }
        }
        expect(seen.slice(0, inserted.length)).toEqual(inserted.map((license) => license.key));
        expect(new Set(seen).size).toBe(seen.length);
      } finally {
        await mine.close();
        await theirs.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('a telemetry-only update adding an unknown property', () => {
  it('licenses.jsonl: is rejected, so the journal never holds a line it would refuse on reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'licensekit-unknown-property-'));
    try {
      const path = join(dir, 'licenses.jsonl');
      const store = jsonlLicenseStore({ path });
      const license = licenseFixture();
      await store.insert(license);
      const update = store.update(license.key, (current) => ({
        ...current,
        validationCount: current.validationCount + 1,
        note: 'not part of a license',
      }));
      await expect(update).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await store.close();
      const reopened = jsonlLicenseStore({ path });
      expect(await reopened.get(license.key)).toEqual(license);
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('update of a license in a fresh table (the validation fast path)', () => {
  const stores = [
    ['licenses.json', (dir: string) => jsonFileLicenseStore({ path: join(dir, 'licenses.json') })],
    ['licenses.jsonl', (dir: string) => jsonlLicenseStore({ path: join(dir, 'licenses.jsonl') })],
  ] as const;
  for (const [name, open] of stores) {
    it(`${name}: returns a promise that rejects, never throws, when the mutation fails`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'licensekit-fast-update-'));
      const store = open(dir);
      try {
        const license = licenseFixture();
        await store.insert(license);
        expect(await store.get(license.key)).toEqual(license); // the table is fresh now
        const failure = new Error('mutate failed');
        let thrown: unknown = null;
        let update: Promise<unknown> | null = null;
        try {
          update = store.update(license.key, () => {
            throw failure;
          });
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeNull();
        await expect(update).rejects.toBe(failure);
        const notAKey = store.update(undefined as unknown as string, (current) => current);
        await expect(notAKey).rejects.toBeInstanceOf(Error);
        await expect(store.get(undefined as unknown as string)).rejects.toBeInstanceOf(Error);
        const rekeyed = store.update(license.key, (current) => ({ ...current, key: 'ANOTHER-KEY' }));
        await expect(rekeyed).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        expect(await store.get(license.key)).toEqual(license);
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('a write that fails after its rename landed', () => {
  /** How often the directory was synced. */
  interface Synced {
    directory: number;
  }

  /**
   * Runs `body` on a licenses.json store whose directory fsyncs fail, and whose rename of the file
   * takes `renameMs`, while `inject.on`.
   */
  async function withLateFailure(
    renameMs: number,
    options: { refreshMs?: number; telemetryFlushMs?: number },
    body: (store: LicenseStore, inject: { on: boolean }, path: string, synced: Synced) => Promise<void>,
  ) {
    const dir = mkdtempSync(join(tmpdir(), 'licensekit-late-failure-'));
    const path = join(dir, 'licenses.json');
    const inject = { on: false };
    const synced: Synced = { directory: 0 };
    const directoryFds = new Set<number>();
    const io: FileIO = {
      ...nodeFileIO,
      open: async (file, flags, mode) => {
        const fd = await nodeFileIO.open(file, flags, mode);
        if (file === dir) directoryFds.add(fd);
        return fd;
      },
      fsync: async (fd) => {
        if (directoryFds.delete(fd)) {
          if (inject.on) throw Object.assign(new Error('injected'), { code: 'EIO' });
          synced.directory++;
        }
        return nodeFileIO.fsync(fd);
      },
      rename: async (from, to) => {
        if (inject.on && to === path) await new Promise((resolve) => setTimeout(resolve, renameMs));
        return nodeFileIO.rename(from, to);
      },
    };
    const store = jsonFileLicenseStore({ path, io, ...options });
    try {
      await body(store, inject, path, synced);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('licenses.json: rejects, and the table holds what the file holds at once', async () => {
    await withLateFailure(300, { refreshMs: 60_000 }, async (store, inject) => {
      const license = licenseFixture();
      await store.insert(license);
      inject.on = true;
      const revoke = store.update(license.key, (l) => ({ ...l, status: 'revoked', statusReason: 'manual' }));
      // Reads while the write holds the lock answer from the table, as it was.
      const reads = setInterval(() => void store.get(license.key), 10);
      await expect(revoke).rejects.toMatchObject({ code: 'STORAGE_IO' });
      clearInterval(reads);
      inject.on = false;
      expect((await store.get(license.key))?.status).toBe('revoked'); // as the file holds it, long before a refresh
    });
  });

  it('licenses.json: a telemetry flush counts the validations it wrote once', async () => {
    await withLateFailure(0, { telemetryFlushMs: 10 }, async (store, inject, path) => {
      const license = licenseFixture();
      await store.insert(license);
      inject.on = true;
      await store.update(license.key, (l) => ({
        ...l,
        validationCount: l.validationCount + 1,
        lastValidatedAt: '2025-01-01T00:00:00.000Z',
      }));
      await new Promise((resolve) => setTimeout(resolve, 100)); // each flush lands, then fails
      inject.on = false;
      expect((await store.get(license.key))?.validationCount).toBe(license.validationCount + 1);
      await store.close();
      const reopened = jsonFileLicenseStore({ path });
      expect((await reopened.get(license.key))?.validationCount).toBe(license.validationCount + 1);
      await reopened.close();
    });
  });

  it('licenses.json: close() syncs what landed unsynced, and rejects while it cannot', async () => {
    await withLateFailure(0, { telemetryFlushMs: 10 }, async (store, inject, path, synced) => {
      const license = licenseFixture();
      await store.insert(license);
      inject.on = true;
      await store.update(license.key, (l) => ({ ...l, validationCount: l.validationCount + 1 }));
      await new Promise((resolve) => setTimeout(resolve, 100)); // the flush lands, then fails
      await expect(store.close()).rejects.toMatchObject({ code: 'STORAGE_IO' });
      inject.on = false;
      const before = synced.directory;
      await store.close();
      expect(synced.directory).toBe(before + 1);
      const reopened = jsonFileLicenseStore({ path });
      expect((await reopened.get(license.key))?.validationCount).toBe(license.validationCount + 1);
      await reopened.close();
    });
  });

  it('licenses.json: a change retried after it landed unsynced resolves once the file is synced', async () => {
    await withLateFailure(0, {}, async (store, inject, _path, synced) => {
      const license = licenseFixture();
      await store.insert(license);
      const revoke = (l: License): License => ({ ...l, status: 'revoked', statusReason: 'refunded' });
      inject.on = true;
      await expect(store.update(license.key, revoke)).rejects.toMatchObject({ code: 'STORAGE_IO' });
      inject.on = false;
      const before = synced.directory;
      expect((await store.update(license.key, revoke))?.status).toBe('revoked');
      expect(synced.directory).toBeGreaterThan(before);
    });
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
