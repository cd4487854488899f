import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditRecord, License, Purchase } from 'licensekit';
import { benchLicense, writeLines } from './_fixtures.js';

/**
 * THE READ-MODIFY-WRITE BASELINE — not licensekit. The storage of the old Python server
 * (`../shared/LEGACY.md`), ported call for call: every call loads the whole `licenses.json`, changes
 * it, and writes it all back (here with fsync, which the Python code did not even do; compact JSON,
 * cheaper than an indented dump), and a sale appends one line to `purchases.jsonl` (fsync'd too).
 * It has no lock: overlapping calls lose writes, so the bench runs them one at a time
 * (`oneAtATime`), which is what a mutex would cost it.
 */
export class OldServer {
  readonly #licensesPath: string;
  readonly #purchasesPath: string;

  constructor(dir: string) {
    this.#licensesPath = join(dir, 'licenses.json');
    this.#purchasesPath = join(dir, 'purchases.jsonl');
  }

  /** Writes the old server's files holding `n` seed licenses (the 11-field format, keyed by key). */
  seed(n: number): void {
    writeLines(this.#licensesPath, {
      head: '{',
      count: n,
      lineOf: (i) => {
        const license = benchLicense(i);
        return `${JSON.stringify(license.key)}:${JSON.stringify(legacyLicense(license))}`;
      },
      separator: ',',
      tail: '}',
    });
    writeFileSync(this.#purchasesPath, '');
  }

  /** `load_licenses()`: the whole file, parsed. */
  load(): Record<string, LegacyLicense> {
    return JSON.parse(readFileSync(this.#licensesPath, 'utf8'));
  }

  /** `create_license()` then `log_purchase()`. */
  createLicense(license: License, purchase: Purchase): void {
    const licenses = this.load();
    licenses[license.key] = legacyLicense(license);
    writeFileSync(this.#licensesPath, JSON.stringify(licenses), { flush: true });
    appendFileSync(this.#purchasesPath, `${JSON.stringify(legacyPurchase(license.key, purchase))}\n`, {
      flush: true,
    });
  }

  /** `create_license()` alone (the license write, without the purchase log). */
  insertLicense(license: License): void {
    const licenses = this.load();
    licenses[license.key] = legacyLicense(license);
    writeFileSync(this.#licensesPath, JSON.stringify(licenses), { flush: true });
  }

  /** `validate_license()`: checks, binds or matches the device, counts the validation, saves. */
  validate(key: string, hardwareId: string): boolean {
    const licenses = this.load();
    const license = licenses[key];
    if (!license?.is_active) return false;
    if (license.expiry_date !== null && Date.parse(license.expiry_date) < Date.now()) return false;
    if (license.hardware_id === null) license.hardware_id = hardwareId;
    else if (license.hardware_id !== hardwareId) return false;
    license.last_validation = new Date().toISOString();
    license.validation_count += 1;
    writeFileSync(this.#licensesPath, JSON.stringify(licenses), { flush: true });
    return true;
  }
}

/** One license of the old `licenses.json`: exactly its 11 fields. */
export interface LegacyLicense {
  email: string;
  customer_name: string;
  created_date: string;
  expiry_date: string | null;
  is_active: boolean;
  hardware_id: string | null;
  device_name: string | null;
  last_validation: string | null;
  validation_count: number;
  purchase_source: string;
  purchase_id: string;
}

function legacyLicense(license: License): LegacyLicense {
  const device = license.devices[0];
  return {
    email: license.email,
    customer_name: license.customerName,
    created_date: license.createdAt,
    expiry_date: license.expiresAt,
    is_active: license.status === 'active',
    hardware_id: device?.hardwareId ?? null,
    device_name: device?.deviceName ?? null,
    last_validation: license.lastValidatedAt,
    validation_count: license.validationCount,
    purchase_source: license.purchaseSource,
    purchase_id: license.purchaseId,
  };
}

function legacyPurchase(licenseKey: string, purchase: Purchase): Record<string, unknown> {
  return {
    timestamp: new Date().toISOString(),
    license_key: licenseKey,
    source: purchase.source,
    source_license_key: purchase.sourceLicenseKey,
    sale_id: purchase.saleId,
    customer_id: purchase.customerId,
    product_id: purchase.productId,
    product_name: purchase.productName,
    tier: purchase.tier,
    price: (purchase.amount / 100).toFixed(2),
    currency: purchase.currency.toLowerCase(),
    purchase_date: purchase.purchasedAt,
    is_recurring: purchase.isRecurring,
    subscription_id: purchase.subscriptionId,
    is_refunded: false,
    is_disputed: false,
    email: purchase.email,
    customer_name: purchase.customerName,
    quantity: purchase.quantity,
  };
}

/** What the old `get_purchase_stats()` reported. */
export interface OldStats {
  totalPurchases: number;
  revenue: Record<string, number>;
  bySource: Record<string, number>;
  topProducts: [string, number][];
}

/**
 * `purchase_audit_helper.get_purchase_stats()`, ported: every record is already in a list (the helper
 * read the whole file first), then one loop adds up payments, net revenue per currency, per source
 * and per product. Also what a lowdb user would write over `db.data.purchases`.
 */
export function oldPurchaseStats(records: readonly AuditRecord[]): OldStats {
  const revenue: Record<string, number> = {};
  const bySource: Record<string, number> = {};
  const products = new Map<string, number>();
  let totalPurchases = 0;
  for (const record of records) {
    if (record.kind !== 'purchase') continue;
    const { type, purchase } = record.event;
    if (type === 'sale' || type === 'renewal') {
      totalPurchases++;
      revenue[purchase.currency] = (revenue[purchase.currency] ?? 0) + purchase.amount;
      bySource[purchase.source] = (bySource[purchase.source] ?? 0) + 1;
      products.set(purchase.productId, (products.get(purchase.productId) ?? 0) + 1);
    } else if (type === 'refund' || type === 'partial_refund' || type === 'dispute_lost') {
      revenue[purchase.currency] = (revenue[purchase.currency] ?? 0) - purchase.amount;
    }
  }
  const topProducts = [...products].sort((a, b) => b[1] - a[1]).slice(0, 10);
  return { totalPurchases, revenue, bySource, topProducts };
}

/**
 * `purchase_audit_helper.export_to_csv()`, ported: a header, then one quoted row per purchase record
 * from the list (Python's `csv` module quoting; no formula neutralising). Returns the characters written.
 */
export function oldExportCsv(records: readonly AuditRecord[], write: (chunk: string) => void): number {
  const cell = (value: string | number | boolean | null) => {
    const text = value === null ? '' : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  let written = 0;
  const emit = (cells: (string | number | boolean | null)[]) => {
    const line = `${cells.map(cell).join(',')}\r\n`;
    written += line.length;
    write(line);
  };
  emit([
    'timestamp',
    'license_key',
    'source',
    'event',
    'sale_id',
    'email',
    'customer_name',
    'product_id',
    'product_name',
    'tier',
    'price',
    'currency',
    'purchase_date',
    'is_recurring',
    'subscription_id',
  ]);
  for (const record of records) {
    if (record.kind !== 'purchase') continue;
    const { event } = record;
    const { purchase } = event;
    emit([
      record.recordedAt,
      record.licenseKey,
      purchase.source,
      event.type,
      purchase.saleId,
      purchase.email,
      purchase.customerName,
      purchase.productId,
      purchase.productName,
      purchase.tier,
      (purchase.amount / 100).toFixed(2),
      purchase.currency.toLowerCase(),
      purchase.purchasedAt,
      purchase.isRecurring,
      purchase.subscriptionId,
    ]);
  }
  return written;
}
