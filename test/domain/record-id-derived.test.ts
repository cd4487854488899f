/**
 * The ids of write-once records are derived from stored times. They stay what they were for every
 * stored time, a time before 1970 included (a legacy created_date such as
 * 1970-01-01T00:00:00+01:00), so such a license keeps its `created` record and imports.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runLegacyImport } from '../../src/cli/legacy-run.js';
import { createdRecordId, LicenseManager, memoryStorage } from '../../src/index.js';
import { legacyLicenseEntry } from '../cli/helpers.js';

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** derivedRecordId's time part as first written (the loop the ids were made with). */
function oldCreatedRecordId(license: { key: string; createdAt: string }): string {
  let time = Date.parse(license.createdAt);
  let id = '';
  for (let i = 0; i < 10; i++, time = Math.floor(time / 32)) id = crockford[time % 32] + id;
  for (const seed of [0xcbf29ce484222325n, 0x84222325cbf29ce4n]) {
    let hash = seed;
    for (const char of license.key.toUpperCase()) {
      hash = BigInt.asUintN(64, (hash ^ BigInt(char.codePointAt(0)!)) * 0x100000001b3n);
    }
    for (let i = 0; i < 8; i++, hash >>= 5n) id += crockford[Number(hash & 31n)];
  }
  return id;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('record ids of licenses created before 1970', () => {
  it('createdRecordId still gives the id it gave before for a createdAt before 1970', () => {
    const license = { key: 'LEGACY-KEY-1', createdAt: '1969-12-31T23:00:00.000Z' };
    expect(() => createdRecordId(license)).not.toThrow();
    expect(createdRecordId(license)).toBe(oldCreatedRecordId(license));
  });

  it('import-legacy of a license created in the hour before the epoch (UTC) does not abort the import', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'legacy-epoch-'));
    dirs.push(dir);
    const licensesPath = join(dir, 'licenses.json');
    const entry = (created: string, saleId: string) =>
      legacyLicenseEntry({ created_date: created, purchase_id: saleId });
    writeFileSync(
      licensesPath,
      JSON.stringify({
        'K-OK': entry('2025-10-03T14:05:09', 'S-1'),
        // The epoch written in local time, a common placeholder: 1969-12-31T23:00:00Z.
        'K-EPOCH': entry('1970-01-01T00:00:00+01:00', 'S-2'),
      }),
    );
    const storage = memoryStorage();
    const manager = new LicenseManager({ storage });
    const tally = runLegacyImport(
      { dir, storage, manager },
      { licensesPath, dryRun: false, productId: 'app', now: '2026-01-01T00:00:00.000Z' },
    );
    await expect(tally).resolves.toBeDefined();
  });
});
