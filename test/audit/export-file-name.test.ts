import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStorage, PurchaseAuditLog } from '../../src/index.js';
import { exportCsvToFile } from '../../src/node.js';
import { purchaseRecordFixture } from '../../src/testing.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('exportCsvToFile to a file name the file system accepts', () => {
  it('writes a 240-character file name (NAME_MAX is 255), as writeFile can', async () => {
    dir = await mkdtemp(join(tmpdir(), 'lk-export-name-'));
    const name = `${'b'.repeat(236)}.csv`;
    expect(name).toHaveLength(240);
    // The name itself is fine:
    await writeFile(join(dir, `${name}.probe`.slice(0, 250)), 'ok');
    const storage = memoryStorage();
    await storage.purchases.append(purchaseRecordFixture());
    const audit = new PurchaseAuditLog({ storage });
    const path = join(dir, name);
    // The temp file `.<name>.<pid>.<12 hex>.tmp` is ~26 characters longer: ENAMETOOLONG.
    const result = await exportCsvToFile(audit, path);
    expect(result.rows).toBe(1);
    expect((await readFile(path, 'utf8')).startsWith('recordedAt,')).toBe(true);
  });
});
