import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type AuditRecord, PurchaseAuditLog } from 'licensekit';
import { jsonlPurchaseLog } from 'licensekit/node';
import { bestTime, type Row, tempDir } from './_harness.js';

const types = ['sale', 'sale', 'renewal', 'refund', 'partial_refund', 'dispute'] as const;
const currencies = ['USD', 'EUR', 'JPY'] as const;

function record(i: number): AuditRecord {
  const at = new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString();
  return {
    kind: 'purchase',
    id: `01J${String(i).padStart(23, '0')}`,
    recordedAt: at,
    licenseKey: `KEY-${i}`,
    event: {
      type: types[i % types.length]!,
      eventId: `evt_${i}`,
      occurredAt: at,
      purchase: {
        source: i % 3 === 0 ? 'stripe' : 'gumroad',
        saleId: `sale_${i}`,
        email: `buyer${i % 10_000}@example.com`,
        customerName: `Buyer ${i}`,
        customerId: null,
        productId: `app-${i % 20}`,
        productName: `App ${i % 20}`,
        tier: null,
        amount: 500 + (i % 3000),
        currency: currencies[i % currencies.length]!,
        quantity: 1,
        purchasedAt: at,
        isTest: false,
        isRecurring: false,
        subscriptionId: null,
        sourceLicenseKey: null,
      },
    },
  };
}

function writeLog(path: string, count: number): void {
  const fd = openSync(path, 'w', 0o600);
  writeSync(fd, '{"format":"licensekit-purchases","version":1}\n');
  for (let start = 0; start < count; start += 10_000) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(count, start + 10_000); i++) lines.push(JSON.stringify(record(i)));
    writeSync(fd, `${lines.join('\n')}\n`);
  }
  closeSync(fd);
}

/** The bare pass: read the file in 1 MiB chunks, split lines, JSON.parse each one. */
function bareParse(path: string): number {
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(1 << 20);
  let carry = '';
  let parsed = 0;
  for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
    const lines = (carry + buffer.toString('utf8', 0, read)).split('\n');
    carry = lines.pop()!;
    for (const line of lines) if (JSON.parse(line)) parsed++;
  }
  closeSync(fd);
  return parsed;
}

/** `getPurchaseStats` and a full CSV export over a JSONL log, against a bare parse of the same file. */
export async function auditBenchmarks(options: { records: number }): Promise<Row[]> {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'purchases.jsonl');
    writeLog(path, options.records);
    const log = jsonlPurchaseLog({ path });
    await log.has(record(0)); // opening reads the log once to learn its dedupe keys
    const audit = new PurchaseAuditLog({ storage: { purchases: log } as never });
    const bare = await bestTime(() => bareParse(path), 2);
    const stats = await bestTime(() => audit.getPurchaseStats(), 2);
    const exportCsv = await bestTime(async () => {
      const reader = audit.exportCsv().getReader();
      while (!(await reader.read()).done) {
        // drain: the CSV is produced as it is read
      }
    }, 2);
    await log.close();
    const n = options.records.toLocaleString('en-US');
    const perSecond = (ms: number) => (options.records * 1000) / ms;
    return [
      {
        scenario: `records parsed, ${n} records`,
        subject: 'bare read + split + JSON.parse',
        opsPerSec: perSecond(bare),
      },
      {
        scenario: `purchase stats, ${n} records`,
        subject: 'PurchaseAuditLog.getPurchaseStats',
        opsPerSec: perSecond(stats),
        baseline: 'bare parse pass',
        ratio: bare / stats,
        target: '≥ 0.50×',
      },
      {
        scenario: `CSV export, ${n} records`,
        subject: 'PurchaseAuditLog.exportCsv',
        opsPerSec: perSecond(exportCsv),
        baseline: 'bare parse pass',
        ratio: bare / exportCsv,
        target: '≥ 0.30×',
      },
    ];
  } finally {
    cleanup();
  }
}
