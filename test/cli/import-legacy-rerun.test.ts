/**
 * `import-legacy` is idempotent across runs (README: "Fix a skipped line and run it again, with both
 * files or the purchases alone: only what is missing is added"), whatever an earlier run skipped.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord, License } from '../../src/index.js';
import { TempDirs } from '../helpers/temp-dir.js';
import { buildCli, jsonOf, legacyLicenseEntry, removeBuild, runCli, withStorage } from './helpers.js';

const temp = new TempDirs();
let bin: string;
let outDir: string;

beforeAll(async () => {
  ({ bin, outDir } = await buildCli());
}, 120_000);

afterAll(async () => {
  await temp.removeAll();
  await removeBuild(outDir);
});

const legacyLicense = (fields: Record<string, unknown> = {}) => legacyLicenseEntry(fields);

interface Tally {
  skipped: { where: string; reason: string }[];
  notes: { note: string; count: number; where: string[] }[];
  licenses: Record<string, number>;
  purchases: Record<string, unknown>;
}

/** The command line importing both legacy files into `data`, with a JSON summary. */
function importBoth(licenses: string, purchases: string, data: string): string[] {
  return ['import-legacy', '--licenses', licenses, '--purchases', purchases, '--json', '--data', data];
}

async function contents(dir: string): Promise<{ licenses: License[]; sales: AuditRecord[] }> {
  return withStorage(dir, async (manager, storage) => {
    const licenses: License[] = [];
    for await (const license of storage.licenses.list()) licenses.push(license);
    const sales: AuditRecord[] = [];
    for await (const record of manager.audit.query({ kind: 'purchase', type: 'sale' })) sales.push(record);
    return { licenses, sales };
  });
}

describe('import-legacy run again', () => {
  it('a purchase line without source is not imported a second time once its license is known', async () => {
    const root = await temp.make('import-rerun-source');
    const data = join(root, 'data');
    const licenses = join(root, 'licenses.json');
    const purchases = join(root, 'purchases.jsonl');
    writeFileSync(licenses, JSON.stringify({ 'K-1': legacyLicense() }));
    // A hand-edited line: no `source` (LEGACY.md: "Expect missing fields").
    writeFileSync(
      purchases,
      `${JSON.stringify({ license_key: 'K-1', sale_id: 'S-1', price: '29.99', currency: 'usd', product_id: 'app' })}\n`,
    );
    // The purchases first, on their own (README: "with both files or the purchases alone")...
    const first = await runCli(bin, ['import-legacy', '--purchases', purchases, '--json', '--data', data]);
    expect(first.code, first.stderr).toBe(0);
    // ...then both files: only what is missing (the license) may be added.
    const second = await runCli(bin, [
      'import-legacy',
      '--licenses',
      licenses,
      '--purchases',
      purchases,
      '--json',
      '--data',
      data,
    ]);
    expect(second.code, second.stderr).toBe(0);
    expect(jsonOf<Tally>(second).purchases).toMatchObject({ imported: 0, alreadyThere: 1 });
    const { sales } = await contents(data);
    expect(sales).toHaveLength(1);
    const stats = await withStorage(data, (manager) => manager.audit.getPurchaseStats());
    expect(stats.revenue.USD).toEqual({ gross: 2999, refunded: 0, net: 2999 });
  });

  it('fixing a skipped license and running again does not book its sale twice', async () => {
    const root = await temp.make('import-rerun-fix');
    const data = join(root, 'data');
    const licenses = join(root, 'licenses.json');
    const purchases = join(root, 'purchases.jsonl');
    writeFileSync(licenses, JSON.stringify({ 'K-1': legacyLicense({ expiry_date: 'soon' }) }));
    writeFileSync(
      purchases,
      `${JSON.stringify({ license_key: 'K-1', sale_id: 'S-1', price: '29.99', currency: 'usd', product_id: 'app' })}\n`,
    );
    const args = importBoth(licenses, purchases, data);
    const first = await runCli(bin, args);
    expect(jsonOf<Tally>(first).skipped).toHaveLength(1); // the license: expiry_date "soon"
    writeFileSync(licenses, JSON.stringify({ 'K-1': legacyLicense({ expiry_date: null }) })); // fixed
    const second = await runCli(bin, args);
    expect(second.code, second.stderr).toBe(0);
    const { licenses: stored, sales } = await contents(data);
    expect(stored.map((license) => license.key)).toEqual(['K-1']);
    expect(sales).toHaveLength(1);
    const stats = await withStorage(data, (manager) => manager.audit.getPurchaseStats());
    expect(stats.revenue.USD).toEqual({ gross: 2999, refunded: 0, net: 2999 });
  });

  it('fixing the first license of a sale and running again imports it (no key is lost)', async () => {
    const root = await temp.make('import-rerun-second');
    const data = join(root, 'data');
    const licenses = join(root, 'licenses.json');
    // Two licenses of one sale (the legacy server made one per webhook retry); the first is broken.
    const file = (expiry: unknown) =>
      JSON.stringify({
        'K-A': legacyLicense({ expiry_date: expiry }),
        'K-B': legacyLicense({ created_date: '2025-10-03T14:05:12' }),
      });
    writeFileSync(licenses, file('soon'));
    const args = ['import-legacy', '--licenses', licenses, '--json', '--data', data];
    const first = await runCli(bin, args);
    expect(jsonOf<Tally>(first).skipped.map((skip) => skip.where)).toEqual(['licenses.json "K-A"']);
    writeFileSync(licenses, file(null)); // fixed, as the summary asks
    const second = await runCli(bin, args);
    expect(jsonOf<Tally>(second).skipped).toEqual([]);
    expect(second.code, second.stderr).toBe(0);
    const { licenses: stored } = await contents(data);
    expect(stored.map((license) => license.key).sort()).toEqual(['K-A', 'K-B']);
  });

  it('a license without purchase_id stored before its sale was known is kept, with a note', async () => {
    const root = await temp.make('import-rerun-late-sale');
    const data = join(root, 'data');
    const licenses = join(root, 'licenses.json');
    const purchases = join(root, 'purchases.jsonl');
    writeFileSync(licenses, JSON.stringify({ 'KEY-NOPID-1': legacyLicense({ purchase_id: null }) }));
    const line = JSON.stringify({
      license_key: 'KEY-NOPID-1',
      source: 'gumroad',
      sale_id: 'G-77',
      price: '29.99',
      currency: 'usd',
    });
    writeFileSync(purchases, `${line.slice(0, -1)},}\n`); // a trailing comma: not JSON
    const args = importBoth(licenses, purchases, data);
    expect(jsonOf<Tally>(await runCli(bin, args)).skipped).toHaveLength(1);
    writeFileSync(purchases, `${line}\n`); // fixed, as the summary asks
    const second = await runCli(bin, args);
    expect(second.code, second.stderr).toBe(0);
    const tally = jsonOf<Tally>(second);
    expect(tally.licenses).toMatchObject({ imported: 0, alreadyThere: 1, skipped: 0 });
    expect(tally.purchases).toMatchObject({ imported: 1 });
    expect(tally.notes).toContainEqual(
      expect.objectContaining({
        note: expect.stringContaining('before its sale gumroad/G-77 was known'),
        where: ['licenses.json "KEY-NOPID-1"'],
      }),
    );
    const again = await runCli(bin, args);
    expect(again.code, again.stderr).toBe(0);
    const { licenses: stored, sales } = await contents(data);
    expect(stored.map((license) => license.key)).toEqual(['KEY-NOPID-1']);
    expect(sales.map((sale) => sale.licenseKey)).toEqual(['KEY-NOPID-1']);
  });
});
