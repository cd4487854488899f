/**
 * Runs a legacy import against an open data directory: licenses first (each written before the
 * records that name it), then the purchase lines, in batches whose writes the file storage commits
 * together. Every write is idempotent, so running it again (after fixing skipped lines, or after a
 * crash) adds only what is missing. The mapping itself is in `legacy-import.ts`.
 */
import type { License } from '../index.js';
import type { DataDir } from './data.js';
import { readLegacyLicenses, readLegacyPurchases } from './legacy-files.js';
import {
  type KeyHint,
  keyHint,
  keyIndex,
  type LegacyMappingOptions,
  mapLegacyLicense,
  secondLicenseOfSale,
} from './legacy-import.js';
import { type LegacySale, mapLegacyPurchase } from './legacy-purchase.js';
import { Ledger, type Tally } from './legacy-tally.js';
import { appendLegacySale, insertLegacyLicense, recordLegacyLicense, saleName } from './legacy-write.js';

/** What to import and how. */
export interface LegacyImportOptions extends LegacyMappingOptions {
  licensesPath?: string;
  purchasesPath?: string;
  /** Read and check everything, write nothing. */
  dryRun: boolean;
  /** Progress text, called often (the caller throttles). */
  onProgress?: (text: string) => void;
}

const batchSize = 100;

/** Imports the legacy files named in `options` into `data`; resolves to what it did. */
export async function runLegacyImport(data: DataDir, options: LegacyImportOptions): Promise<Tally> {
  return new LegacyImport(data, options).run();
}

class LegacyImport {
  readonly #data: DataDir;
  readonly #options: LegacyImportOptions;
  readonly #ledger: Ledger;
  /** The licenses now in the data directory, by key index: purchase lines name them. */
  readonly #imported = new Map<string, License>();
  /** The source the lines of a sale name, by key index and sale id: a line naming none takes it. */
  readonly #saleSources = new Map<string, string>();

  constructor(data: DataDir, options: LegacyImportOptions) {
    this.#data = data;
    this.#options = options;
    this.#ledger = new Ledger(options.dryRun);
  }

  async run(): Promise<Tally> {
    const { audit } = this.#data.manager;
    const before = await audit.getPurchaseStats({ topProducts: 0 });
    const { licensesPath, purchasesPath } = this.#options;
    const hints = await this.#hints();
    if (licensesPath !== undefined) await this.#licenses(licensesPath, hints);
    if (purchasesPath !== undefined) await this.#purchases(purchasesPath);
    const after = this.#options.dryRun ? null : await audit.getPurchaseStats({ topProducts: 0 });
    return this.#ledger.tally(before.revenue, after?.revenue ?? null);
  }

  /**
   * What the purchase lines say about each license key, and the source each sale's lines name (a
   * first pass over the purchases file).
   */
  async #hints(): Promise<Map<string, KeyHint>> {
    const hints = new Map<string, KeyHint>();
    const path = this.#options.purchasesPath;
    for await (const line of path === undefined ? [] : readLegacyPurchases(path)) {
      const hint = 'value' in line ? keyHint(line.value) : null;
      if (hint === null) continue;
      const [key, { source, saleId }] = hint;
      if (!hints.has(key)) hints.set(key, hint[1]);
      const sale = `${key}\u0000${saleId}`;
      if (source !== null && saleId !== null && !this.#saleSources.has(sale))
        this.#saleSources.set(sale, source);
    }
    return hints;
  }

  async #licenses(path: string, hints: Map<string, KeyHint>): Promise<void> {
    const entries = await readLegacyLicenses(path);
    const keys = new Map<string, string>();
    const sales = new Set<string>();
    let batch: Promise<void>[] = [];
    for (const [index, [rawKey, value]] of entries.entries()) {
      const where = `licenses.json "${rawKey}"`;
      this.#ledger.licenseSeen();
      this.#options.onProgress?.(`licenses ${index + 1}/${entries.length}`);
      const mapped = mapLegacyLicense(rawKey, value, hints.get(keyIndex(rawKey)), this.#options);
      if (!mapped.ok) {
        this.#ledger.skip(where, mapped.reason);
        continue;
      }
      this.#ledger.note(where, mapped.notes);
      let license = mapped.value;
      const earlier = keys.get(keyIndex(license.key));
      if (earlier !== undefined) {
        this.#ledger.skip(where, `the same key as "${earlier}" (keys match case-insensitively)`);
        continue;
      }
      keys.set(keyIndex(license.key), license.key);
      if (sales.has(saleName(license))) {
        this.#ledger.note(where, [`a second license of one sale: kept, with purchaseId <purchase_id>#<key>`]);
        license = secondLicenseOfSale(license);
      }
      sales.add(saleName(license));
      batch.push(this.#license(license, where));
      if (batch.length >= batchSize) batch = await settle(batch);
    }
    await settle(batch);
  }

  async #license(license: License, where: string): Promise<void> {
    const { storage, manager } = this.#data;
    const outcome = await insertLegacyLicense(storage.licenses, license, this.#options.dryRun);
    if (typeof outcome === 'string') return this.#ledger.skip(where, outcome);
    if (outcome.note !== undefined) this.#ledger.note(where, [outcome.note]);
    this.#ledger.license(outcome.created);
    this.#imported.set(keyIndex(license.key), outcome.license);
    if (!this.#options.dryRun) await recordLegacyLicense(manager.audit, outcome.license);
  }

  /**
   * The imported license a purchase line names (matched case-insensitively): from licenses.json, or
   * from the data directory (an earlier import), so that a line takes the same source whichever
   * files a run imports.
   */
  async #licenseNamed(key: string): Promise<License | undefined> {
    const imported = this.#imported.get(keyIndex(key));
    if (imported !== undefined || key === '') return imported;
    return (await this.#data.storage.licenses.get(key)) ?? undefined;
  }

  /** Notes a license left active although its sale was refunded or disputed (as in the legacy data). */
  #noteStillActive(sale: LegacySale, license: License | undefined): void {
    if (license?.status !== 'active') return;
    const types = new Set(sale.events.map((event) => event.type));
    if (types.has('refund')) {
      this.#ledger.note(`"${license.key}"`, [
        'an active license of a refunded sale (as in the legacy data): revoke it with licensekit license revoke',
      ]);
    } else if (types.has('dispute')) {
      this.#ledger.note(`"${license.key}"`, [
        'an active license of a disputed sale (as in the legacy data): suspend it with licensekit license suspend',
      ]);
    }
  }

  async #purchases(path: string): Promise<void> {
    /** The first line of each sale taken, with the events of the later lines' flags added. */
    const taken = new Map<string, LegacySale>();
    let batch: Promise<void>[] = [];
    for await (const line of readLegacyPurchases(path)) {
      const where = `purchases.jsonl line ${line.line}`;
      this.#ledger.lineSeen();
      this.#options.onProgress?.(`purchase lines ${line.line}`);
      if ('error' in line) {
        this.#ledger.skip(where, line.error);
        continue;
      }
      const key = String(line.value.license_key ?? '');
      const license = await this.#licenseNamed(key);
      const saleSource = this.#saleSources.get(`${keyIndex(key)}\u0000${String(line.value.sale_id)}`);
      const mapped = mapLegacyPurchase(line.value, license, this.#options, saleSource);
      if (!mapped.ok) {
        this.#ledger.skip(where, mapped.reason);
        continue;
      }
      this.#ledger.note(where, mapped.notes);
      let sale = mapped.value;
      const first = taken.get(sale.saleKey);
      if (first !== undefined) {
        // The old server wrote a new line for every webhook: a refund or dispute of a sale is a later
        // line with its flag set. Its events are the first line's sale's, for the first line's license.
        const flagged = sale.events.filter((event) => !first.events.some((had) => had.type === event.type));
        this.#ledger.duplicate(where, sale, flagged);
        if (flagged.length === 0) continue;
        const events = flagged.map((event) => ({ ...event, purchase: first.events[0]!.purchase }));
        taken.set(sale.saleKey, { ...first, events: [...first.events, ...events] });
        sale = { ...first, events, refunded: events.some((event) => event.type === 'refund') };
        this.#noteStillActive(sale, await this.#licenseNamed(sale.licenseKey));
        batch = await settle(batch); // the sale's own record first, so the log keeps their order
        batch.push(
          appendLegacySale(this.#data, sale, this.#options.dryRun).then((appended) =>
            this.#ledger.flags(sale, appended),
          ),
        );
        continue;
      }
      taken.set(sale.saleKey, sale);
      if (this.#options.licensesPath !== undefined && license === undefined) {
        this.#ledger.note(where, ['names a license key that was not imported from licenses.json']);
      }
      this.#noteStillActive(sale, license);
      batch.push(
        appendLegacySale(this.#data, sale, this.#options.dryRun).then((appended) =>
          this.#ledger.sale(sale, appended),
        ),
      );
      if (batch.length >= batchSize) batch = await settle(batch);
    }
    await settle(batch);
  }
}

/** Waits for a batch of writes; the first failure rejects. Returns a fresh empty batch. */
async function settle(batch: Promise<void>[]): Promise<Promise<void>[]> {
  await Promise.all(batch);
  return [];
}
