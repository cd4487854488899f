/** `stats`, `purchases` and `export-csv` against a real data directory, checked against the library. */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord, PurchaseStats } from '../../src/index.js';
import { TempDirs } from '../helpers/temp-dir.js';
import { buildCli, jsonOf, later, removeBuild, runCli, sale, seedShop, withStorage } from './helpers.js';

const temp = new TempDirs();
let bin: string;
let outDir: string;
let dir: string;

beforeAll(async () => {
  ({ bin, outDir } = await buildCli());
  dir = await temp.make('cli-books');
  await seedShop(dir);
});

afterAll(async () => {
  await temp.removeAll();
  await removeBuild(outDir);
});

const cli = (...args: string[]) => runCli(bin, [...args, '--data', dir]);

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

describe('stats', () => {
  it('--json is the library’s getPurchaseStats', async () => {
    const run = await cli('stats', '--json');
    expect(run.code).toBe(0);
    const expected = await withStorage(dir, (manager) => manager.audit.getPurchaseStats());
    expect(jsonOf<PurchaseStats>(run)).toEqual(expected);
    // The seeded books, to the cent: EUR 19.90 + 49.00 gross, 5.00 partial + 49.00 lost refunded.
    expect(expected.revenue).toEqual({
      EUR: { gross: 6890, refunded: 5400, net: 1490 },
      JPY: { gross: 4800, refunded: 0, net: 4800 },
      USD: { gross: 5998, refunded: 2999, net: 2999 },
    });
  });

  it('passes --since/--until (dates are UTC days) and the filters to the library', async () => {
    const run = await cli(
      'stats',
      '--json',
      '--since',
      '2025-11',
      '--until',
      '2025-12-05',
      '--source',
      'gumroad',
    );
    const expected = await withStorage(dir, (manager) =>
      manager.audit.getPurchaseStats({
        since: '2025-11-01T00:00:00.000Z',
        until: '2025-12-05T23:59:59.999Z',
        source: 'gumroad',
      }),
    );
    expect(jsonOf<PurchaseStats>(run)).toEqual(expected);
    expect(expected.totalPurchases).toBe(2);
    const tests = jsonOf<PurchaseStats>(await cli('stats', '--json', '--include-test'));
    expect(tests.revenue.USD?.gross).toBe(5998 + 100);
  });

  it('--by month gives each month exactly what the library gives for that window', async () => {
    const run = await cli('stats', '--json', '--by', 'month');
    const { periods, by, ...stats } = jsonOf<PurchaseStats & { by: string; periods: Period[] }>(run);
    expect(by).toBe('month');
    expect(periods.map((period) => period.period)).toEqual(['2025-10', '2025-11', '2025-12', '2026-01']);
    await withStorage(dir, async (manager) => {
      expect(stats).toEqual(await manager.audit.getPurchaseStats());
      for (const period of periods) {
        const window = await manager.audit.getPurchaseStats({ since: period.start, until: period.end });
        expect(period.revenue).toEqual(window.revenue);
      }
    });
    expect(periods[3]?.revenue).toEqual({ EUR: { gross: 0, refunded: 4900, net: -4900 } });
  });

  it('--by month gives a reversed chargeback back in the month of its reversal, as the totals do', async () => {
    const own = await temp.make('cli-books-reversal');
    await seedShop(own);
    const s5 = sale('s-5', 4900, 'EUR', '2025-12-10T16:20:00.000Z', {
      source: 'stripe',
      productId: 'pdf-tool',
    });
    await withStorage(own, (manager) =>
      manager.handlePurchaseEvent(later(s5, 'dispute_won', '2026-02-03T10:00:00.000Z')),
    );
    for (const filter of [[], ['--product', 'pdf-tool']]) {
      const run = await runCli(bin, ['stats', '--json', '--by', 'month', ...filter, '--data', own]);
      const { periods, revenue } = jsonOf<PurchaseStats & { periods: Period[] }>(run);
      expect(periods.at(-1)).toMatchObject({
        period: '2026-02',
        revenue: { EUR: { gross: 0, refunded: -4900, net: 4900 } },
      });
      const net = periods.reduce((sum, period) => sum + (period.revenue.EUR?.net ?? 0), 0);
      expect(net).toBe(revenue.EUR!.net);
    }
  });

  it('--by week fills empty weeks (Monday starts) and the chart fits the terminal width', async () => {
    const weeks = jsonOf<{ periods: Period[] }>(await cli('stats', '--json', '--by', 'week')).periods;
    expect(weeks[0]?.period).toBe('2025-09-29');
    expect(weeks.every((week) => new Date(week.start).getUTCDay() === 1)).toBe(true);
    expect(weeks).toHaveLength(14);
    for (const columns of ['60', '120']) {
      const run = await runCli(bin, ['stats', '--by', 'week', '--data', dir], { env: { COLUMNS: columns } });
      expect(run.code).toBe(0);
      const chart = run.stdout.slice(run.stdout.indexOf('Net revenue per week'));
      const bars = chart.split('\n').filter((line) => /^\d{4}-\d{2}-\d{2} /.test(line));
      expect(bars.length).toBe(14 * 3); // one chart per currency, never summed across them
      expect(Math.max(...bars.map((line) => line.length))).toBe(Number(columns));
      expect(chart).toContain('Net revenue per week (weeks start on Monday), EUR');
      expect(chart).toMatch(/\n2025-12-08 +█+ +49\.00 EUR\n/); // a sale; its dispute moves no money
      expect(chart).toMatch(/\n2025-12-29 +░+ +-49\.00 EUR\n/); // the lost dispute: shaded, with its sign
    }
  });

  it('prints the books as plain tables, money with its currency and decimals', async () => {
    const run = await cli('stats');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Payments 5 {3}refunds 2 {3}disputes 1 {3}from 2025-10-03 to 2025-12-10\n/);
    expect(run.stdout).toMatch(/EUR +68\.90 +54\.00 +14\.90\n/);
    expect(run.stdout).toMatch(/JPY +4800 +0 +4800\n/);
    expect(run.stdout).toMatch(/stripe +2 +0\.00 EUR, 0\.00 USD\n/);
    expect(run.stdout).not.toContain('\u001b'); // no colour codes
  });
});

interface Period {
  period: string;
  start: string;
  end: string;
  revenue: PurchaseStats['revenue'];
}

describe('purchases', () => {
  it('--json lists the purchase records the library lists, filters included', async () => {
    await withStorage(dir, async (manager) => {
      const all = await collect(manager.audit.query({ kind: 'purchase' }));
      expect(jsonOf<AuditRecord[]>(await cli('purchases', '--json'))).toEqual(all);
      const stripe = await collect(manager.audit.getPurchasesBySource('stripe'));
      expect(jsonOf<AuditRecord[]>(await cli('purchases', '--json', '--source', 'stripe'))).toEqual(stripe);
      const byEmail = await collect(manager.audit.getPurchasesByEmail('G-2@example.com'));
      expect(jsonOf(await cli('purchases', '--json', '--email', ' G-2@Example.com'))).toEqual(byEmail);
      const refunded = await collect(manager.audit.getRefundedPurchases());
      expect(refunded.map((record) => record.event.purchase.saleId)).toEqual(['s-4', 's-5']);
      expect(jsonOf(await cli('purchases', '--json', '--refunded'))).toEqual(refunded);
    });
  });

  it('--since/--until bound when the event happened', async () => {
    const records = jsonOf<Extract<AuditRecord, { kind: 'purchase' }>[]>(
      await cli('purchases', '--json', '--since', '2025-12-01', '--until', '2025-12-10'),
    );
    expect(records.map((record) => `${record.event.purchase.saleId} ${record.event.type}`)).toEqual([
      's-4 sale',
      's-5 sale',
      's-4 refund',
    ]);
  });

  it('reads a zone-less --since/--until timestamp as UTC, whatever the local zone', async () => {
    const run = await runCli(
      bin,
      ['purchases', '--json', '--since', '2025-12-01T10:00:00', '--until', '2025-12-05T10:00', '--data', dir],
      { env: { TZ: 'Asia/Tokyo' } },
    );
    expect(run.stderr).toBe('');
    const records = jsonOf<Extract<AuditRecord, { kind: 'purchase' }>[]>(run);
    // Both ends inclusive, in UTC: Tokyo time would end the window 9 hours before the refund.
    expect(records.map((record) => `${record.event.purchase.saleId} ${record.event.type}`)).toEqual([
      's-4 sale',
      's-4 refund',
    ]);
  });

  it('--refunded with --since/--until lists the sales made in the window, refunded then or later', async () => {
    // s-5 was sold in December and lost its dispute on 2026-01-02, after the window.
    const run = await cli('purchases', '--json', '--refunded', '--since', '2025-12', '--until', '2025-12');
    const sales = jsonOf<Extract<AuditRecord, { kind: 'purchase' }>[]>(run);
    expect(sales.map((record) => record.event.purchase.saleId)).toEqual(['s-4', 's-5']);
    const november = await cli('purchases', '--json', '--refunded', '--until', '2025-11');
    expect(jsonOf(november)).toEqual([]);
  });

  it('--refunded --include-test lists refunded test sales too, as the library does', async () => {
    const own = await temp.make('cli-books-refunded-test');
    const paid = sale('p-1', 2999, 'USD', '2025-12-20T10:00:00.000Z');
    const test = sale('t-1', 100, 'USD', '2025-12-21T10:00:00.000Z', { isTest: true });
    const events = [
      paid,
      test,
      later(test, 'refund', '2025-12-22T10:00:00.000Z'),
      later(paid, 'refund', '2026-01-05T10:00:00.000Z'),
    ];
    const expected = await withStorage(own, async (manager) => {
      for (const event of events) await manager.audit.recordPurchase(event, null);
      return collect(manager.audit.getRefundedPurchases({ includeTest: true }));
    });
    const refunded = (...args: string[]) =>
      runCli(bin, ['purchases', '--json', '--refunded', ...args, '--data', own]);
    const withTest = jsonOf<Extract<AuditRecord, { kind: 'purchase' }>[]>(await refunded('--include-test'));
    expect(withTest).toEqual(expected);
    expect(withTest.map((record) => record.event.purchase.saleId)).toEqual(['p-1', 't-1']);
    const withoutTest = jsonOf<Extract<AuditRecord, { kind: 'purchase' }>[]>(await refunded());
    expect(withoutTest.map((record) => record.event.purchase.saleId)).toEqual(['p-1']);
  });

  it('prints a table with formatted amounts, and says so when nothing matches', async () => {
    const run = await cli('purchases', '--source', 'gumroad');
    expect(run.stdout).toMatch(/^When \(UTC\) +Event +Store +Sale/);
    expect(run.stdout).toContain('2025-11-20 09:30  sale');
    expect(run.stdout).toMatch(/4800 JPY/);
    expect(run.stdout).toMatch(/\n4 records\n$/);
    expect((await cli('purchases', '--source', 'paddle')).stdout).toBe('No purchases match.\n');
  });
});

describe('export-csv', () => {
  it('writes exactly the library’s CSV export, with no progress line when stderr is piped', async () => {
    const file = join(dir, 'export.csv');
    const run = await cli('export-csv', file, '--json');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const expected = await withStorage(dir, (manager) =>
      new Response(manager.audit.exportCsv().pipeThrough(new TextEncoderStream())).text(),
    );
    expect(readFileSync(file, 'utf8')).toBe(expected);
    expect(jsonOf(run)).toEqual({
      file,
      rows: expected.split('\r\n').length - 2,
      bytes: Buffer.byteLength(expected),
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("never replaces the storage's own files, --force or not, however the path is spelled", async () => {
    const spellings = (name: string) => [
      join(dir, name),
      `${dir}/./${name}`,
      `${dir}/../${basename(dir)}/${name}`,
    ];
    for (const file of ['purchases.jsonl', 'licenses.json'].flatMap(spellings)) {
      const before = readFileSync(file);
      const refused = await cli('export-csv', file, '--force');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("is a file of the data directory's storage");
      expect(readFileSync(file).equals(before)).toBe(true);
    }
  });

  it('refuses to overwrite without --force (exit 1, file untouched), replaces with it', async () => {
    const file = join(dir, 'kept.csv');
    writeFileSync(file, 'keep me');
    const refused = await cli('export-csv', file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`licensekit: ${file} exists; pass --force to replace it\n`);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    const forced = await cli(
      'export-csv',
      file,
      '--force',
      '--source',
      'stripe',
      '--columns',
      'event,amount,currency',
    );
    expect(forced.code).toBe(0);
    expect(forced.stdout).toBe(`Wrote 5 rows (${statSync(file).size} bytes) to ${file}\n`);
    expect(readFileSync(file, 'utf8')).toBe(
      'event,amount,currency\r\nsale,29.99,USD\r\nsale,49.00,EUR\r\nrefund,29.99,USD\r\n' +
        'dispute,49.00,EUR\r\ndispute_lost,49.00,EUR\r\n',
    );
  });

  it('filters by kind and by when things happened', async () => {
    const file = join(dir, 'december.csv');
    const run = await cli(
      'export-csv',
      file,
      '--kind',
      'purchase',
      '--since',
      '2025-12',
      '--until',
      '2025-12',
      '--columns',
      'saleId,event',
    );
    expect(run.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(
      'saleId,event\r\ns-4,sale\r\ns-5,sale\r\ns-4,refund\r\ns-5,dispute\r\n',
    );
    expect(existsSync(`${file}.tmp`)).toBe(false);
  });
});
