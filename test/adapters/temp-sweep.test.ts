import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { jsonlLicenseStore } from '../../src/node.js';
import { licenseFixture } from '../../src/testing.js';

it("opening a store sweeps its crashed writers' temp files but not a lock waiter's token file", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'licensekit-sweep-'));
  try {
    const orphan = join(dir, 'licenses.jsonl.999999.0a1b.tmp');
    const orphanBackup = join(dir, 'licenses.jsonl.bak.999999.0a1b.tmp');
    // A process about to take a lock named `<path>.lock` (a `lockPath` option) writes its token here first.
    const waiter = join(dir, `licenses.jsonl.lock.${process.pid}.0a1b.tmp`);
    for (const path of [orphan, orphanBackup, waiter]) writeFileSync(path, 'x');
    const store = jsonlLicenseStore({ path: join(dir, 'licenses.jsonl') });
    await store.insert(licenseFixture());
    await store.close();
    expect([existsSync(orphan), existsSync(orphanBackup), existsSync(waiter)]).toEqual([false, false, true]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
