import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AuditRecord,
  createdRecordId,
  generateLicenseKey,
  type License,
  type LicenseRecord,
  memoryStorage,
  type Purchase,
  type PurchaseRecord,
  type Storage,
} from 'licensekit';

const seedKeys: string[] = [];

/** The key of seed license `i`: a real generated key, the same one for the same `i` all run long. */
function seedKey(i: number): string {
  while (seedKeys.length <= i) seedKeys.push(generateLicenseKey());
  return seedKeys[i]!;
}

/** Seed license `i`: lean and realistic, one device (`hw-<i>`) bound of two seats. */
export function benchLicense(i: number): License {
  return {
    key: seedKey(i),
    productId: `app-${i % 5}`,
    email: `customer${i}@example.com`,
    customerName: `Customer ${i}`,
    createdAt: '2025-06-01T12:00:00.000Z',
    expiresAt: null,
    status: 'active',
    statusReason: null,
    maxDevices: 2,
    devices: [
      {
        hardwareId: `hw-${i}`,
        deviceName: 'MacBook Pro',
        activatedAt: '2025-06-01T12:00:00.000Z',
        lastSeenAt: '2025-06-02T12:00:00.000Z',
      },
    ],
    lastValidatedAt: '2025-06-02T12:00:00.000Z',
    validationCount: 3,
    purchaseSource: 'gumroad',
    purchaseId: `seed-sale-${i}`,
    subscriptionId: null,
    deliveredAt: '2025-06-01T12:00:01.000Z',
  };
}

/** The sale behind a new license; `tag` keeps sale ids unique across rows. */
export function benchPurchase(tag: string, i: number): Purchase {
  return {
    source: 'gumroad',
    saleId: `${tag}-sale-${i}`,
    email: `buyer${i}@example.com`,
    customerName: `Buyer ${i}`,
    customerId: null,
    productId: `app-${i % 5}`,
    productName: `App ${i % 5}`,
    tier: null,
    amount: 2999,
    currency: 'USD',
    quantity: 1,
    purchasedAt: '2025-06-01T12:00:00.000Z',
    isTest: false,
    isRecurring: false,
    subscriptionId: null,
    sourceLicenseKey: null,
  };
}

/** A fresh license for a new sale (not a seed), as the manager would issue it. */
export function newLicense(purchase: Purchase): License {
  return {
    ...benchLicense(0),
    key: generateLicenseKey(),
    email: purchase.email,
    customerName: purchase.customerName,
    productId: purchase.productId,
    devices: [],
    lastValidatedAt: null,
    validationCount: 0,
    purchaseSource: purchase.source,
    purchaseId: purchase.saleId,
    deliveredAt: null,
  };
}

/** The `created` record the manager writes for a license. */
export function createdRecord(license: License): LicenseRecord {
  return {
    kind: 'license',
    id: createdRecordId(license),
    recordedAt: license.createdAt,
    action: 'created',
    licenseKey: license.key,
    reason: `${license.purchaseSource} sale`,
    actor: 'createLicense',
  };
}

/** The sale record of a license's purchase. */
export function saleRecord(license: License, purchase: Purchase): PurchaseRecord {
  return {
    kind: 'purchase',
    id: `01JSALE${license.key.replace(/-/g, '').slice(0, 19)}`,
    recordedAt: license.createdAt,
    licenseKey: license.key,
    event: { type: 'sale', eventId: `sale:${purchase.saleId}`, occurredAt: purchase.purchasedAt, purchase },
  };
}

const types = ['sale', 'sale', 'renewal', 'refund', 'partial_refund', 'dispute'] as const;
const currencies = ['USD', 'EUR', 'JPY'] as const;

/** Record `i` of a varied purchase log (sales, renewals, refunds, disputes; three currencies). */
export function logRecord(i: number): AuditRecord {
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
        ...benchPurchase('log', i),
        source: i % 3 === 0 ? 'stripe' : 'gumroad',
        email: `buyer${i % 10_000}@example.com`,
        productId: `app-${i % 20}`,
        productName: `App ${i % 20}`,
        amount: 500 + (i % 3000),
        currency: currencies[i % currencies.length]!,
        purchasedAt: at,
      },
    },
  };
}

/** Writes `head`, then `lineOf(0..count-1)` joined by `separator`, then `tail`, without one giant string. */
export function writeLines(
  path: string,
  parts: { head: string; count: number; lineOf: (i: number) => string; separator?: string; tail?: string },
): void {
  const { head, count, lineOf, separator = '\n', tail = '\n' } = parts;
  const fd = openSync(path, 'w', 0o600);
  try {
    writeSync(fd, head);
    for (let start = 0; start < count; start += 10_000) {
      const lines: string[] = [];
      for (let i = start; i < Math.min(count, start + 10_000); i++) lines.push(lineOf(i));
      writeSync(fd, (start > 0 ? separator : '') + lines.join(separator));
    }
    writeSync(fd, tail);
  } finally {
    closeSync(fd);
  }
}

/** `licenses.json` of `jsonFileLicenseStore` with `n` seed licenses. */
export function writeLicensesJson(path: string, n: number): void {
  writeLines(path, {
    head: '{"format":"licensekit-licenses","version":1,"generation":1,"licenses":[\n',
    count: n,
    lineOf: (i) => JSON.stringify(benchLicense(i)),
    separator: ',\n',
    tail: '\n]}\n',
  });
}

/** `licenses.jsonl` of `jsonlLicenseStore` with `n` seed licenses. */
export function writeLicenseJournal(path: string, n: number): void {
  writeLines(path, {
    head: '{"format":"licensekit-license-journal","version":1}\n',
    count: n,
    lineOf: (i) => JSON.stringify(benchLicense(i)),
  });
}

/** A `jsonlPurchaseLog` file holding `count` records. */
export function writePurchaseLog(path: string, count: number, recordOf: (i: number) => AuditRecord): void {
  writeLines(path, {
    head: '{"format":"licensekit-purchases","version":1}\n',
    count,
    lineOf: (i) => JSON.stringify(recordOf(i)),
  });
}

/** The two records each seed license has in the log: `created`, then its sale. */
function seedLogRecord(i: number): AuditRecord {
  const license = benchLicense(i >> 1);
  return i % 2 === 0
    ? createdRecord(license)
    : saleRecord(license, { ...benchPurchase('seed', i >> 1), saleId: license.purchaseId });
}

/** A `fileStorage` directory: `licenses.json` with `n` seed licenses and their 2n log records. */
export function seedFileStorage(dir: string, n: number): void {
  mkdirSync(dir, { recursive: true });
  writeLicensesJson(join(dir, 'licenses.json'), n);
  writePurchaseLog(join(dir, 'purchases.jsonl'), 2 * n, seedLogRecord);
}

/** The JSONL layout: `licenses.jsonl` with `n` seed licenses and `purchases.jsonl` with their 2n records. */
export function seedJsonlStorage(dir: string, n: number): void {
  mkdirSync(dir, { recursive: true });
  writeLicenseJournal(join(dir, 'licenses.jsonl'), n);
  writePurchaseLog(join(dir, 'purchases.jsonl'), 2 * n, seedLogRecord);
}

/** `memoryStorage()` holding `n` seed licenses (no log records: a memory log's cost does not grow with it). */
export async function seedMemoryStorage(n: number): Promise<Storage> {
  const storage = memoryStorage();
  for (let i = 0; i < n; i++) await storage.licenses.insert(benchLicense(i));
  return storage;
}

const seedRoot = mkdtempSync(join(tmpdir(), 'licensekit-bench-seeds-'));
process.on('exit', () => rmSync(seedRoot, { recursive: true, force: true }));

/** Copies a pristine seeded directory of `layout` with `n` licenses to `dest` (seeded once per run). */
export function copySeed(layout: 'file' | 'jsonl', n: number, dest: string): void {
  const source = join(seedRoot, `${layout}-${n}`);
  if (!existsSync(source)) (layout === 'file' ? seedFileStorage : seedJsonlStorage)(source, n);
  cpSync(source, dest, { recursive: true });
}

/** A purchase log of `records` varied records (`logRecord`), written once per run. */
export function seedLog(records: number): string {
  const path = join(seedRoot, `log-${records}.jsonl`);
  if (!existsSync(path)) writePurchaseLog(path, records, logRecord);
  return path;
}
