/**
 * `import-legacy` on the fixture set in `fixtures/legacy`: a licenses.json and a purchases.jsonl as
 * the Python system wrote them, with the odd cases (missing fields, null expiry, a refunded and a
 * disputed sale, a hand-edited broken line, EUR and JPY prices, a retried webhook logged twice).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  createdRecordId,
  type License,
  type PurchaseEvent,
  type ValidationResult,
} from '../../src/index.js';
import { jsonFileLicenseStore } from '../../src/node.js';
import { licenseFixture } from '../../src/testing.js';
import { TempDirs } from '../helpers/temp-dir.js';
import { buildCli, jsonOf, legacyLicenseEntry, removeBuild, runCli, withStorage } from './helpers.js';

const fixtures = fileURLToPath(new URL('./fixtures/legacy/', import.meta.url));
const files = [
  '--licenses',
  join(fixtures, 'licenses.json'),
  '--purchases',
  join(fixtures, 'purchases.jsonl'),
];
const temp = new TempDirs();
let bin: string;
let outDir: string;
let dir: string;

interface Tally {
  dryRun: boolean;
  licenses: Record<string, number>;
  purchases: Record<string, unknown>;
  skipped: { where: string; reason: string }[];
  notes: { note: string; count: number; where: string[] }[];
  books: Record<string, Record<'legacy' | 'before' | 'imported' | 'after', Record<string, number>>>;
  booksMatch: boolean;
}

/** The legacy books of the fixture, to the cent: USD 29.99 + 29.99 (refunded) + 5, EUR 19.90 + 49.00, JPY 4800. */
const legacyBooks = {
  EUR: { gross: 6890, refunded: 0, net: 6890 },
  JPY: { gross: 4800, refunded: 0, net: 4800 },
  USD: { gross: 6498, refunded: 2999, net: 3499 },
};
const zero = { gross: 0, refunded: 0, net: 0 };

beforeAll(async () => {
  ({ bin, outDir } = await buildCli());
  dir = join(await temp.make('cli-import'), 'data'); // does not exist yet: the import creates it
});

afterAll(async () => {
  await temp.removeAll();
  await removeBuild(outDir);
});

const cli = (...args: string[]) => runCli(bin, [...args, '--data', dir]);

async function everything(): Promise<{ licenses: License[]; records: AuditRecord[] }> {
  return withStorage(dir, async (manager, storage) => {
    const licenses: License[] = [];
    for await (const license of storage.licenses.list()) licenses.push(license);
    const records: AuditRecord[] = [];
    for await (const record of manager.audit.query({ includeTest: true })) records.push(record);
    return { licenses, records };
  });
}

describe('import-legacy', () => {
  it('a dry run into a directory that does not exist reports everything and writes nothing', async () => {
    const run = await cli('import-legacy', ...files, '--dry-run', '--json', '--allow-skips');
    expect(run.code).toBe(0);
    const tally = jsonOf<Tally>(run);
    expect(tally).toMatchObject({ dryRun: true, licenses: { imported: 7 }, booksMatch: true });
    expect(tally.books.USD).toEqual({
      legacy: legacyBooks.USD,
      before: zero,
      imported: legacyBooks.USD,
      after: legacyBooks.USD,
    });
    expect(existsSync(dir)).toBe(false);
  });

  it('imports what parses, skips the rest with reasons, exits 1 for the skips, and the books match to the cent', async () => {
    const run = await cli('import-legacy', ...files, '--json');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'licensekit: 5 items were skipped (listed above); fix them and run again, or pass --allow-skips\n',
    );
    const tally = jsonOf<Tally>(run);
    expect(tally.licenses).toEqual({ inFile: 9, imported: 7, alreadyThere: 0, skipped: 2 });
    expect(tally.purchases).toEqual({
      lines: 10,
      imported: 6,
      alreadyThere: 0,
      duplicates: 1,
      skipped: 3,
      events: { sale: 6, refund: 1, dispute: 1 },
    });
    expect(tally.skipped).toEqual([
      { where: 'licenses.json "BAD-EXPIRY-0006"', reason: 'expiry_date "soon" is not a date' },
      {
        where: 'licenses.json "abcd-1234-efgh-5678"',
        reason: 'the same key as "ABCD-1234-EFGH-5678" (keys match case-insensitively)',
      },
      { where: 'purchases.jsonl line 5', reason: expect.stringMatching(/^not valid JSON \(/) },
      { where: 'purchases.jsonl line 8', reason: 'no price' },
      { where: 'purchases.jsonl line 11', reason: 'no sale_id' },
    ]);
    expect(tally.notes.map((note) => [note.note, note.count])).toEqual(
      expect.arrayContaining([
        ['no product_name: named "unknown product"', 2],
        ['a second line of a sale already taken (sale_id sale-1 once): not imported again', 1],
      ]),
    );
    for (const [currency, books] of Object.entries(legacyBooks)) {
      expect(tally.books[currency]).toEqual({ legacy: books, before: zero, imported: books, after: books });
    }
    expect(tally.booksMatch).toBe(true);
    const stats = await withStorage(dir, (manager) => manager.audit.getPurchaseStats());
    expect(stats.revenue).toEqual(legacyBooks);
    expect([stats.totalPurchases, stats.totalRefunds, stats.totalDisputes]).toEqual([6, 1, 1]);
  });

  it('maps each legacy license field as documented', async () => {
    const { licenses } = await everything();
    const byKey = Object.fromEntries(licenses.map((license) => [license.key, license]));
    expect(Object.keys(byKey)).toEqual([
      'ABCD-1234-EFGH-5678',
      'lk-eur-0002',
      'JPY-KEY-0003',
      'REFUND-0004',
      'MISSING-0005',
      'DUP-SALE-0007',
      'DISPUTE-0008',
    ]);
    expect(byKey['ABCD-1234-EFGH-5678']).toEqual({
      key: 'ABCD-1234-EFGH-5678',
      productId: 'image-weaver',
      email: 'ada@example.com',
      customerName: 'Ada Lovelace',
      createdAt: '2025-10-03T14:05:09.123Z',
      expiresAt: null,
      status: 'active',
      statusReason: null,
      maxDevices: 1,
      devices: [
        {
          hardwareId: 'hw-ada-laptop',
          deviceName: "Ada's Laptop",
          activatedAt: '2025-10-03T14:05:09.123Z',
          lastSeenAt: '2025-12-01T08:00:00.500Z',
        },
      ],
      lastValidatedAt: '2025-12-01T08:00:00.500Z',
      validationCount: 12,
      purchaseSource: 'gumroad',
      purchaseId: 'sale-1',
      subscriptionId: null,
      deliveredAt: '2025-10-03T14:05:09.123Z',
    });
    expect(byKey['lk-eur-0002']).toMatchObject({
      createdAt: '2025-11-13T10:00:00.000Z', // +01:00 honoured
      expiresAt: '2036-11-13T10:00:00.000Z', // zone-less: UTC
      devices: [],
    });
    expect(byKey['JPY-KEY-0003']).toMatchObject({
      createdAt: '2025-11-20T09:30:00.000Z',
      validationCount: 3,
    });
    expect(byKey['REFUND-0004']).toMatchObject({
      status: 'revoked',
      statusReason: 'legacy-inactive',
      devices: [expect.objectContaining({ hardwareId: 'hw-dan' })],
    });
    expect(byKey['MISSING-0005']).toMatchObject({
      productId: 'unknown-product',
      customerName: '',
      expiresAt: null,
      purchaseSource: 'legacy',
      purchaseId: 'MISSING-0005',
    });
    expect(byKey['DUP-SALE-0007']?.purchaseId).toBe('sale-1#DUP-SALE-0007');
  });

  it('writes created (and legacy-inactive revoked) records, and the purchase events with their money', async () => {
    const { licenses, records } = await everything();
    const licenseRecords = records.filter((record) => record.kind === 'license');
    expect(
      licenseRecords
        .filter((record) => record.action === 'created')
        .map((record) => record.id)
        .sort(),
    ).toEqual(licenses.map((license) => createdRecordId(license)).sort());
    expect(licenseRecords.every((record) => record.actor === 'import-legacy')).toBe(true);
    expect(licenseRecords.filter((r) => r.action === 'revoked').map((r) => [r.licenseKey, r.reason])).toEqual(
      [['REFUND-0004', 'legacy-inactive']],
    );
    const events = records.flatMap((record) =>
      record.kind === 'purchase'
        ? [
            `${record.event.eventId} ${record.event.purchase.amount} ${record.event.purchase.currency} ${record.licenseKey}`,
          ]
        : [],
    );
    expect(events.sort()).toEqual([
      'gumroad:sale-1:sale 2999 USD ABCD-1234-EFGH-5678',
      'gumroad:sale-2:sale 1990 EUR lk-eur-0002',
      'gumroad:sale-3:sale 4800 JPY JPY-KEY-0003',
      'gumroad:sale-4:refund 2999 USD REFUND-0004',
      'gumroad:sale-4:sale 2999 USD REFUND-0004',
      'gumroad:sale-6:dispute 4900 EUR DISPUTE-0008',
      'gumroad:sale-6:sale 4900 EUR DISPUTE-0008',
      'legacy:inv-8:sale 500 USD ORPHAN-0009',
    ]);
    const sale2 = records.find((r) => r.kind === 'purchase' && r.event.purchase.saleId === 'sale-2');
    expect(sale2?.kind === 'purchase' && sale2.event.purchase).toMatchObject({
      productName: 'unknown product',
      email: 'bob@example.de', // from the license: the line has none
      purchasedAt: '2025-11-13T10:00:00.000Z',
    });
  });

  it('a second import adds nothing and says so', async () => {
    const before = await everything();
    const run = await cli('import-legacy', ...files, '--json', '--allow-skips');
    expect(run.code).toBe(0);
    const tally = jsonOf<Tally>(run);
    expect(tally.licenses).toEqual({ inFile: 9, imported: 0, alreadyThere: 7, skipped: 2 });
    expect(tally.purchases).toMatchObject({ imported: 0, alreadyThere: 6, duplicates: 1, events: {} });
    for (const [currency, books] of Object.entries(legacyBooks)) {
      expect(tally.books[currency]).toEqual({ legacy: books, before: books, imported: zero, after: books });
    }
    expect(await everything()).toEqual(before);
    const dry = jsonOf<Tally>(await cli('import-legacy', ...files, '--json', '--dry-run'));
    expect([dry.licenses.imported, dry.purchases.imported]).toEqual([0, 0]);
  });

  it('prints a human summary with the skips, the notes and the books', async () => {
    const run = await cli('import-legacy', ...files, '--allow-skips');
    expect(run.stdout).toContain('Licenses   9 in the file: 0 imported, 7 already there, 2 skipped\n');
    expect(run.stdout).toContain('  purchases.jsonl line 8: no price\n');
    expect(run.stdout).toMatch(/\nEUR +gross +68\.90 +68\.90 +0\.00 +68\.90\n/);
    expect(run.stdout).toMatch(/\nJPY +gross +4800 +4800 +0 +4800\n/);
    expect(run.stdout).toMatch(/ +refunded +29\.99 +29\.99 +0\.00 +29\.99\n/);
    expect(run.stdout).toContain('✓ after − before = imported now, in every currency');
  });

  it('legacy keys keep working in any case, bound devices keep their seat, and later store events find them', async () => {
    const valid = await cli('validate', 'abcd-1234-efgh-5678', '--device', 'hw-ada-laptop', '--json');
    expect(jsonOf<ValidationResult>(valid)).toMatchObject({ valid: true, code: 'VALID' });
    const other = await cli('validate', 'ABCD-1234-EFGH-5678', '--device', 'hw-other', '--json');
    expect(jsonOf<ValidationResult>(other).code).toBe('DEVICE_LIMIT_REACHED');
    expect(jsonOf<ValidationResult>(await cli('validate', 'REFUND-0004', '--json')).code).toBe('REVOKED');
    await withStorage(dir, async (manager) => {
      const [sale] = (await everything()).records.flatMap((r) =>
        r.kind === 'purchase' && r.event.purchase.saleId === 'sale-2' ? [r.event] : [],
      );
      const refund = { ...sale!, type: 'refund' as const, eventId: 'gumroad:sale-2:refund' };
      const { action, license } = await manager.handlePurchaseEvent(refund);
      expect([action, license?.key]).toEqual(['revoked', 'lk-eur-0002']);
    });
  });

  it('a Gumroad refund sent again after the import is a redelivery, not a second refund', async () => {
    await withStorage(dir, async (manager) => {
      const before = await manager.audit.getPurchaseStats();
      const [sale] = (await everything()).records.flatMap((r) =>
        r.kind === 'purchase' && r.event.purchase.saleId === 'sale-4' && r.event.type === 'sale'
          ? [r.event]
          : [],
      );
      const refund = { ...sale!, type: 'refund' as const, eventId: 'gumroad:sale-4:refund' };
      expect((await manager.handlePurchaseEvent(refund)).action).toBe('duplicate');
      expect(await manager.audit.getPurchaseStats()).toEqual(before);
    });
  });

  it('importing the purchases again on their own adds nothing, even for lines that name no source', async () => {
    const own = join(await temp.make('cli-import-purchases-again'), 'data');
    const licenses = join(own, '..', 'licenses.json');
    const purchases = join(own, '..', 'purchases.jsonl');
    const license = legacyLicenseEntry({ purchase_id: 'S-9' });
    writeFileSync(licenses, JSON.stringify({ 'K-9': license }));
    // The line names no source: it comes from the license, which a purchases-only run finds in the store.
    writeFileSync(
      purchases,
      `${JSON.stringify({ license_key: 'k-9', sale_id: 'S-9', price: '15.00', currency: 'jpy' })}\n`,
    );
    const first = await runCli(bin, [
      'import-legacy',
      '--licenses',
      licenses,
      '--purchases',
      purchases,
      '--json',
      '--data',
      own,
    ]);
    expect(jsonOf<Tally>(first).purchases).toMatchObject({ imported: 1 });
    const again = await runCli(bin, ['import-legacy', '--purchases', purchases, '--json', '--data', own]);
    expect(jsonOf<Tally>(again).purchases).toMatchObject({ imported: 0, alreadyThere: 1 });
    expect(jsonOf<Tally>(again).books.JPY!.after).toEqual({ gross: 15, refunded: 0, net: 15 });
  });

  it('a later line of a sale that names no source is the same sale, so a refund on it nets to zero', async () => {
    const own = join(await temp.make('cli-import-sourceless-later-line'), 'data');
    const purchases = join(own, '..', 'purchases.jsonl');
    const line = (fields: object) =>
      JSON.stringify({ license_key: 'ORPH-1', sale_id: 'Z1', price: '29.99', currency: 'usd', ...fields });
    // The refund line comes first: the sale's source is known from the whole file.
    writeFileSync(purchases, `${line({ is_refunded: true })}\n${line({ source: 'gumroad' })}\n`);
    const run = await runCli(bin, ['import-legacy', '--purchases', purchases, '--json', '--data', own]);
    const tally = jsonOf<Tally>(run);
    expect(tally.purchases).toMatchObject({ imported: 1, duplicates: 1, events: { sale: 1, refund: 1 } });
    expect(tally.books.USD!.after).toEqual({ gross: 2999, refunded: 2999, net: 0 });
    const sources = await withStorage(own, async (manager) => {
      const found = new Set<string>();
      for await (const record of manager.audit.query({ kind: 'purchase' })) {
        if (record.kind === 'purchase') found.add(record.event.purchase.source);
      }
      return [...found];
    });
    expect(sources).toEqual(['gumroad']);
  });

  it('--dry-run writes nothing, not even the reconciliation an open would do', async () => {
    const own = join(await temp.make('cli-import-dry-reconcile'), 'data');
    // A license without its created record: what a crash between the two files leaves.
    const store = jsonFileLicenseStore({ path: join(own, 'licenses.json') });
    await store.insert(licenseFixture());
    await store.close();
    const licenses = join(own, '..', 'licenses.json');
    writeFileSync(licenses, JSON.stringify({ 'K-1': legacyLicenseEntry({ purchase_id: 'S-1' }) }));
    const run = await runCli(bin, [
      'import-legacy',
      '--licenses',
      licenses,
      '--dry-run',
      '--json',
      '--data',
      own,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(own, 'purchases.jsonl'))).toBe(false);
  });

  it('--dry-run skips what the import skips, and the reason names the field', async () => {
    const own = join(await temp.make('cli-import-long-field'), 'data');
    const licenses = join(own, '..', 'licenses.json');
    // A machine fingerprint longer than a device id may be.
    const hardwareId = `MAC=${'ab:'.repeat(90)};CPU=x`;
    writeFileSync(
      licenses,
      JSON.stringify({ 'LONG-HW-1': legacyLicenseEntry({ purchase_id: 'S-8', hardware_id: hardwareId }) }),
    );
    const runs = [];
    for (const dry of [true, false]) {
      const args = ['import-legacy', '--licenses', licenses, '--json', '--data', own];
      const run = await runCli(bin, dry ? [...args, '--dry-run'] : args);
      expect(run.code).toBe(1);
      runs.push(jsonOf<Tally>(run));
    }
    const [dry, real] = runs;
    expect(dry!.licenses).toMatchObject({ imported: 0, skipped: 1 });
    expect(dry!.skipped).toEqual(real!.skipped);
    expect(real!.skipped).toEqual([
      {
        where: 'licenses.json "LONG-HW-1"',
        reason: expect.stringMatching(/^invalid license \(devices\.0\.hardwareId: /),
      },
    ]);
  });

  it('a legacy key that looks like ours, check symbol aside, validates and shows after the import', async () => {
    const own = join(await temp.make('cli-import-our-shape'), 'data');
    const licenses = join(own, '..', 'licenses.json');
    // Six groups of five, all Crockford symbols: our shape, but not our check symbol.
    const key = 'ABCDE-FGHJK-MNPQR-STVWX-YZ012-34567';
    writeFileSync(licenses, JSON.stringify({ [key]: legacyLicenseEntry({ purchase_id: 'S-7' }) }));
    const imported = await runCli(bin, ['import-legacy', '--licenses', licenses, '--json', '--data', own]);
    expect(imported.code).toBe(0);
    const validated = await runCli(bin, ['validate', key.toLowerCase(), '--json', '--data', own]);
    expect(validated.code).toBe(0);
    expect(jsonOf<ValidationResult>(validated)).toMatchObject({ valid: true, license: { key } });
    const shown = await runCli(bin, ['license', 'show', key, '--json', '--data', own]);
    expect(jsonOf<{ license: License }>(shown).license).toMatchObject({ key, purchaseId: 'S-7' });
  });

  it('a refund or dispute flagged on a later line of a sale is imported for the sale’s first license', async () => {
    const own = join(await temp.make('cli-import-later-lines'), 'data');
    const lines = join(own, '..', 'purchases.jsonl');
    const line = (key: string, flags: object) =>
      JSON.stringify({
        license_key: key,
        source: 'gumroad',
        sale_id: 'S-1',
        product_id: 'app',
        price: '10.00',
        currency: 'usd',
        purchase_date: '2025-10-03T14:05:09',
        email: 'ada@example.com',
        is_refunded: false,
        is_disputed: false,
        ...flags,
      });
    writeFileSync(
      lines,
      `${line('K-1', {})}\n${line('K-2', { is_refunded: true })}\n${line('K-3', { is_refunded: true })}\n`,
    );
    const run = await runCli(bin, ['import-legacy', '--purchases', lines, '--json', '--data', own]);
    const tally = jsonOf<Tally>(run);
    expect(tally.purchases).toMatchObject({ imported: 1, duplicates: 2, events: { sale: 1, refund: 1 } });
    expect(tally.books.USD!.after).toEqual({ gross: 1000, refunded: 1000, net: 0 });
    expect(tally.booksMatch).toBe(true);
    const named = await withStorage(own, async (manager) => {
      const keys: string[] = [];
      for await (const record of manager.audit.query())
        if (record.kind === 'purchase') keys.push(`${record.event.type} ${record.licenseKey}`);
      return keys;
    });
    expect(named).toEqual(['sale K-1', 'refund K-1']);
  });

  it('a license without purchase_id takes the sale its purchase line names, and every default is noted', async () => {
    const own = join(await temp.make('cli-import-defaults'), 'data');
    const licenses = join(own, '..', 'licenses.json');
    const purchases = join(own, '..', 'purchases.jsonl');
    const license = (email: string, fields: object) =>
      legacyLicenseEntry({
        email,
        customer_name: 'B',
        created_date: '2025-10-01T10:00:00',
        purchase_id: undefined,
        ...fields,
      });
    writeFileSync(
      licenses,
      JSON.stringify({
        'K-LINKED': license('b@example.com', { is_active: null }),
        'K-BLANK': license('c@example.com', { expiry_date: '', purchase_id: 's3' }),
        'K-ALONE': license('d@example.com', {}),
      }),
    );
    writeFileSync(
      purchases,
      ['K-LINKED', 'K-BLANK']
        .map((key, i) =>
          JSON.stringify({
            license_key: key,
            source: 'gumroad',
            sale_id: `s${i + 2}`,
            price: '9.99',
            currency: 'usd',
          }),
        )
        .join('\n'),
    );
    const run = await runCli(bin, [
      'import-legacy',
      '--licenses',
      licenses,
      '--purchases',
      purchases,
      '--json',
      '--data',
      own,
    ]);
    expect(run.code).toBe(0);
    const notes = Object.fromEntries(jsonOf<Tally>(run).notes.map((note) => [note.note, note.where]));
    expect(notes).toMatchObject({
      "no purchase_id: linked to the sale its purchase line names (that line's source and sale_id)": [
        'licenses.json "K-LINKED"',
      ],
      'no purchase_id and no purchase line with a sale_id: sale "legacy <key>", no store event will find it':
        ['licenses.json "K-ALONE"'],
      'is_active null is not a boolean: imported as active': ['licenses.json "K-LINKED"'],
      'no expiry_date (absent or blank): imported as perpetual, as null is': ['licenses.json "K-BLANK"'],
    });
    await withStorage(own, async (manager) => {
      expect(await manager.getLicense('K-LINKED')).toMatchObject({
        status: 'active',
        purchaseSource: 'gumroad',
        purchaseId: 's2',
      });
      expect(await manager.getLicense('K-BLANK')).toMatchObject({ expiresAt: null, purchaseId: 's3' });
      expect(await manager.getLicense('K-ALONE')).toMatchObject({
        purchaseSource: 'legacy',
        purchaseId: 'K-ALONE',
      });
      // Gumroad's refund ping for the sale finds the license its purchase line named.
      let sold: PurchaseEvent | undefined;
      for await (const { event } of manager.audit.getPurchasesBySource('gumroad')) {
        if (event.purchase.saleId === 's2') sold = event;
      }
      const refund = { ...sold!, type: 'refund' as const, eventId: 'gumroad:s2:refund' };
      const { action, license: refunded } = await manager.handlePurchaseEvent(refund);
      expect([action, refunded?.key, refunded?.status]).toEqual(['revoked', 'K-LINKED', 'revoked']);
    });
  });

  it('--product names the product of records without one', async () => {
    const other = join(await temp.make('cli-import-product'), 'data');
    const run = await runCli(bin, [
      'import-legacy',
      ...files,
      '--product',
      'image-weaver',
      '--allow-skips',
      '--data',
      other,
    ]);
    expect(run.code).toBe(0);
    await withStorage(other, async (manager) => {
      expect((await manager.getLicense('MISSING-0005'))?.productId).toBe('image-weaver');
    });
  });

  it('refuses a licenses.json that does not parse, naming it, and writes nothing', async () => {
    const broken = join(await temp.make('cli-import-broken'), 'licenses.json');
    writeFileSync(
      broken,
      readFileSync(join(fixtures, 'licenses.json'), 'utf8').replace('"Ada Lovelace",', '"Ada'),
    );
    const target = join(outDir, 'broken-data');
    const run = await runCli(bin, ['import-legacy', '--licenses', broken, '--data', target]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^licensekit: --licenses ${broken} is not valid JSON \\(.+\\); fix it and run again\\n$`),
    );
    expect(run.stdout).toBe('');
  });
});
