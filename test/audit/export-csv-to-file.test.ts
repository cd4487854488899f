import { writeFileSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type AuditRecord, isLicenseKitError, PurchaseAuditLog } from '../../src/index.js';
import { exportCsvToFile } from '../../src/node.js';
import { licenseRecordFixture, purchaseRecordFixture } from '../../src/testing.js';
import { type AuditStorageKind, auditStorageKinds, storageWith } from '../helpers/audit-storage.js';
import { TempDirs } from '../helpers/temp-dir.js';

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

async function readAll(stream: ReadableStream<string>): Promise<string> {
  const reader = stream.getReader();
  let text = '';
  for (let next = await reader.read(); !next.done; next = await reader.read()) text += next.value;
  return text;
}

async function auditWith(kind: AuditStorageKind, count: number): Promise<PurchaseAuditLog> {
  const records: AuditRecord[] = Array.from({ length: count }, (_, i) =>
    i % 3 === 0
      ? licenseRecordFixture({ reason: `line one\r\nline "two", ${i}` })
      : purchaseRecordFixture({
          event: { purchase: { customerName: `=Zoë 🦄 ${i}`, isTest: i % 7 === 0 } },
        }),
  );
  return new PurchaseAuditLog({ storage: await storageWith(kind, records) });
}

describe.each(auditStorageKinds)('exportCsvToFile on %s storage', (kind) => {
  it('writes exactly the stream’s text, mode 0600, and reports rows and bytes', async () => {
    const dir = await dirs.make('csv');
    const audit = await auditWith(kind, 500);
    const path = join(dir, 'export.csv');
    const progress: number[] = [];
    const result = await exportCsvToFile(audit, path, { onProgress: (rows) => progress.push(rows) });
    const expected = await readAll(audit.exportCsv());
    const written = await readFile(path);
    expect(written.toString('utf8')).toBe(expected);
    const rows =
      500 - Array.from({ length: 500 }, (_, i) => i).filter((i) => i % 3 !== 0 && i % 7 === 0).length;
    expect(result).toEqual({ rows, bytes: written.length });
    expect(written.length).toBeGreaterThan(expected.length); // multi-byte characters are counted as bytes
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(progress.at(-1)).toBe(rows);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.length).toBeGreaterThan(2);
    expect(await readdir(dir)).toEqual(['export.csv']);
  });

  it('passes the filter and columns through', async () => {
    const dir = await dirs.make('csv');
    const audit = await auditWith(kind, 30);
    const path = join(dir, 'licenses.csv');
    const result = await exportCsvToFile(audit, path, {
      filter: { kind: 'license' },
      columns: ['kind', 'id'],
    });
    expect(await readFile(path, 'utf8')).toBe(
      await readAll(audit.exportCsv({ kind: 'license' }, { columns: ['kind', 'id'] })),
    );
    expect(result.rows).toBe(10);
    expect((await readFile(path, 'utf8')).startsWith('kind,id\r\nlicense,')).toBe(true);
  });

  it('refuses an existing file unless overwrite, which replaces it', async () => {
    const dir = await dirs.make('csv');
    const audit = await auditWith(kind, 10);
    const path = join(dir, 'export.csv');
    await writeFile(path, 'keep me');
    await expect(exportCsvToFile(audit, path)).rejects.toSatisfy((error) =>
      isLicenseKitError(error, 'INVALID_INPUT'),
    );
    expect(await readFile(path, 'utf8')).toBe('keep me');
    expect(await readdir(dir)).toEqual(['export.csv']);

    const result = await exportCsvToFile(audit, path, { overwrite: true });
    expect(await readFile(path, 'utf8')).toBe(await readAll(audit.exportCsv()));
    expect(result.rows).toBeGreaterThan(0);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['export.csv']);
  });

  it('refuses a file that appears while the export runs, leaving it and no temp file', async () => {
    const dir = await dirs.make('csv');
    const audit = await auditWith(kind, 200);
    const path = join(dir, 'export.csv');
    let created = false;
    const onProgress = () => {
      if (created) return;
      created = true;
      // Another writer creates the file after the up-front check.
      writeFileSync(path, 'theirs');
    };
    await expect(exportCsvToFile(audit, path, { onProgress })).rejects.toSatisfy((error) =>
      isLicenseKitError(error, 'INVALID_INPUT'),
    );
    expect(await readFile(path, 'utf8')).toBe('theirs');
    expect(await readdir(dir)).toEqual(['export.csv']);
  });

  it('fails with STORAGE_IO and leaves nothing when the directory is missing', async () => {
    const dir = await dirs.make('csv');
    await expect(
      exportCsvToFile(await auditWith(kind, 5), join(dir, 'missing', 'export.csv')),
    ).rejects.toSatisfy((error) => isLicenseKitError(error, 'STORAGE_IO'));
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes the temp file when the log fails mid-export, and passes the error on', async () => {
    const dir = await dirs.make('csv');
    const storage = await storageWith(
      kind,
      Array.from({ length: 300 }, () => purchaseRecordFixture()),
    );
    const failing = new PurchaseAuditLog({
      storage: {
        ...storage,
        purchases: {
          ...storage.purchases,
          scan: async function* () {
            yield* storage.purchases.scan();
            throw new Error('disk on fire');
          },
        },
      },
    });
    const seen: number[] = [];
    await expect(
      exportCsvToFile(failing, join(dir, 'export.csv'), { onProgress: (rows) => seen.push(rows) }),
    ).rejects.toThrow('disk on fire');
    expect(seen.at(-1)).toBeGreaterThan(0); // it was writing when it failed
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes the temp file when onProgress throws', async () => {
    const dir = await dirs.make('csv');
    await expect(
      exportCsvToFile(await auditWith(kind, 100), join(dir, 'export.csv'), {
        onProgress: (rows) => {
          if (rows > 10) throw new Error('stop');
        },
      }),
    ).rejects.toThrow('stop');
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses an unknown column before touching the disk', async () => {
    const dir = await dirs.make('csv');
    await expect(
      exportCsvToFile(await auditWith(kind, 3), join(dir, 'x.csv'), { columns: ['nope' as 'id'] }),
    ).rejects.toSatisfy((error) => isLicenseKitError(error, 'INVALID_INPUT'));
    expect(await readdir(dir)).toEqual([]);
  });
});
