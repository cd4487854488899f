import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { type AuditRecord, PurchaseAuditLog, type PurchaseLog } from '../../src/index.js';
import { jsonlPurchaseLog } from '../../src/node.js';
import { TempDirs } from '../helpers/temp-dir.js';

/**
 * Stats, a full CSV export and the refunded purchases of a 1,000,000-record log must not hold the
 * log in memory. The heap is sampled after a full GC every 100,000 records, so it measures what the
 * code keeps alive (a non-streaming implementation would keep ~1 KB per record, i.e. ~1 GB), not
 * garbage awaiting collection. The baseline is taken after the log is opened (it keeps its dedupe
 * keys in memory). getRefundedPurchases keeps one key per refunded sale (~125,000 here), no records.
 */
const recordCount = 1_000_000;
const sampleEvery = 100_000;
const limitBytes = 100 * 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Milliseconds spent in {@link heapAfterGc}, reported with the timings. */
let gcMs = 0;

function heapAfterGc(): number {
  const started = performance.now();
  gc();
  gcMs += performance.now() - started;
  return process.memoryUsage().heapUsed;
}

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

const sources = ['gumroad', 'stripe', 'paddle'];
const currencies = ['USD', 'EUR', 'JPY'];
const types = [
  'sale',
  'sale',
  'renewal',
  'refund',
  'partial_refund',
  'dispute',
  'dispute_lost',
  'cancellation',
] as const;

function recordAt(i: number): AuditRecord {
  const recordedAt = new Date(Date.UTC(2020, 0, 1) + i * 1000).toISOString();
  const id = `R${i.toString(36).padStart(12, '0').toUpperCase()}`;
  if (i % 10 === 9) {
    return {
      kind: 'license',
      id,
      recordedAt,
      action: 'created',
      licenseKey: `LK-${i}`,
      reason: null,
      actor: null,
    };
  }
  return {
    kind: 'purchase',
    id,
    recordedAt,
    licenseKey: `LK-${i}`,
    event: {
      type: types[i % types.length]!,
      eventId: `evt-${i}`,
      occurredAt: recordedAt,
      purchase: {
        source: sources[i % sources.length]!,
        // Every 24 records hold, per source, one of each type: two sales, a refund and a lost dispute.
        saleId: `sale-${Math.floor(i / 24)}`,
        email: `buyer-${i % 50_000}@example.com`,
        customerName: `Buyer ${i}, "Esq."`,
        customerId: null,
        productId: `product-${i % 100}`,
        productName: `Product ${i % 100}`,
        tier: null,
        amount: 100 + (i % 5000),
        currency: currencies[i % currencies.length]!,
        quantity: 1,
        purchasedAt: recordedAt,
        isTest: i % 97 === 0,
        isRecurring: false,
        subscriptionId: null,
        sourceLicenseKey: null,
      },
    },
  };
}

/** What the queries must report on the log, computed while writing it. */
interface Expected {
  payments: number;
  gross: Record<string, number>;
  rows: number;
  refundedSales: number;
}

/** Writes the log file directly and returns what the queries must report. */
function writeLog(path: string): Expected {
  const fd = openSync(path, 'w', 0o600);
  const gross: Record<string, number> = {};
  let payments = 0;
  let rows = 0;
  const saleKeys: string[] = [];
  const refundKeys = new Set<string>();
  try {
    writeSync(fd, '{"format":"licensekit-purchases","version":1}\n');
    for (let start = 0; start < recordCount; start += 10_000) {
      const lines: string[] = [];
      for (let i = start; i < Math.min(start + 10_000, recordCount); i++) {
        const record = recordAt(i);
        lines.push(JSON.stringify(record));
        if (record.kind === 'purchase' && record.event.purchase.isTest) continue;
        rows++;
        if (record.kind !== 'purchase') continue;
        const { type, purchase } = record.event;
        if (type === 'sale' || type === 'renewal') {
          payments++;
          gross[purchase.currency] = (gross[purchase.currency] ?? 0) + purchase.amount;
        }
        const saleKey = `${purchase.source} ${purchase.saleId}`;
        if (type === 'sale') saleKeys.push(saleKey);
        if (type === 'refund' || type === 'dispute_lost') refundKeys.add(saleKey);
      }
      writeSync(fd, `${lines.join('\n')}\n`);
    }
  } finally {
    closeSync(fd);
  }
  return { payments, gross, rows, refundedSales: saleKeys.filter((key) => refundKeys.has(key)).length };
}

/** The log, sampling the heap after a full GC every `sampleEvery` records it yields. */
function sampling(log: PurchaseLog, peak: { bytes: number }): PurchaseLog {
  return new Proxy(log, {
    get(target, property) {
      if (property === 'scan') {
        return async function* (...args: Parameters<PurchaseLog['scan']>) {
          let n = 0;
          for await (const record of target.scan(...args)) {
            if (++n % sampleEvery === 0) peak.bytes = Math.max(peak.bytes, heapAfterGc());
            yield record;
          }
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('memory stays flat on a 1,000,000-record JSONL log', () => {
  it('getPurchaseStats and full exportCsv and getRefundedPurchases drains keep heap growth under 100 MB', {
    timeout: 120_000,
  }, async () => {
    const started = performance.now();
    const dir = await dirs.make('memory');
    const path = join(dir, 'purchases.jsonl');
    const expected = writeLog(path);
    const wroteAt = performance.now();

    const log = jsonlPurchaseLog({ path });
    for await (const _ of log.scan()) break; // opens the log: it learns its dedupe keys once
    const baseline = heapAfterGc();
    const peak = { bytes: baseline };
    const audit = new PurchaseAuditLog({
      storage: { licenses: undefined as never, purchases: sampling(log, peak) },
    });

    const stats = await audit.getPurchaseStats();
    const statsPeak = peak.bytes - baseline;
    const statsAt = performance.now();
    expect(stats.totalPurchases).toBe(expected.payments);
    expect(Object.fromEntries(Object.entries(stats.revenue).map(([c, r]) => [c, r.gross]))).toEqual(
      expected.gross,
    );
    expect(stats.topProducts).toHaveLength(10);

    peak.bytes = heapAfterGc();
    const exportBaseline = Math.min(baseline, peak.bytes);
    const reader = audit.exportCsv().getReader();
    let characters = 0;
    let lines = 0;
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      characters += next.value.length;
      lines += next.value.split('\r\n').length - 1;
    }
    const exportPeak = peak.bytes - exportBaseline;
    const exportAt = performance.now();

    peak.bytes = heapAfterGc();
    const refundedBaseline = Math.min(baseline, peak.bytes);
    let refundedSales = 0;
    for await (const record of audit.getRefundedPurchases()) {
      if (record.event.type === 'sale' && !record.event.purchase.isTest) refundedSales++;
    }
    const refundedPeak = peak.bytes - refundedBaseline;
    const refundedAt = performance.now();
    await log.close();

    console.info(
      `memory-flat: ${recordCount} records; write ${((wroteAt - started) / 1000).toFixed(1)} s, ` +
        `stats ${((statsAt - wroteAt) / 1000).toFixed(1)} s (+${(statsPeak / 2 ** 20).toFixed(1)} MB), ` +
        `export ${((exportAt - statsAt) / 1000).toFixed(1)} s, ${(characters / 2 ** 20).toFixed(0)} M characters ` +
        `(+${(exportPeak / 2 ** 20).toFixed(1)} MB), refunded ${((refundedAt - exportAt) / 1000).toFixed(1)} s ` +
        `(+${(refundedPeak / 2 ** 20).toFixed(1)} MB); full GCs ${(gcMs / 1000).toFixed(1)} s; ` +
        `baseline ${(baseline / 2 ** 20).toFixed(0)} MB`,
    );
    // Every row is one CRLF-terminated line (no cell of this log holds a line break).
    expect(lines).toBe(expected.rows + 1);
    expect(statsPeak).toBeLessThan(limitBytes);
    expect(exportPeak).toBeLessThan(limitBytes);
    expect(refundedSales).toBe(expected.refundedSales);
    expect(refundedSales).toBeGreaterThan(200_000);
    expect(refundedPeak).toBeLessThan(limitBytes);
  });
});
