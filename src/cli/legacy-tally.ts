import type { CurrencyRevenue, PurchaseEvent } from '../index.js';
import type { LegacySale } from './legacy-purchase.js';

/** Something left out of the import: where (file and line or key) and why. */
export interface Skip {
  where: string;
  reason: string;
}

/** A choice the import made for missing or odd data: how often, and the first few places. */
export interface Note {
  note: string;
  count: number;
  where: string[];
}

/** The books of one currency, four ways: so `after − before = imported` can be seen to hold. */
export interface CurrencyBooks {
  /** The purchase lines taken from the legacy files (each sale once). */
  legacy: CurrencyRevenue;
  /** The data directory before the import. */
  before: CurrencyRevenue;
  /** What this run appended (a dry run: what it would append). */
  imported: CurrencyRevenue;
  /** The data directory after the import (a dry run: before + imported). */
  after: CurrencyRevenue;
}

/** What an import did (or, with `dryRun`, would do). Money is integer minor units. */
export interface Tally {
  dryRun: boolean;
  licenses: { inFile: number; imported: number; alreadyThere: number; skipped: number };
  purchases: {
    lines: number;
    imported: number;
    alreadyThere: number;
    duplicates: number;
    skipped: number;
    /** Events appended, by type. */
    events: Record<string, number>;
  };
  skipped: Skip[];
  notes: Note[];
  books: Record<string, CurrencyBooks>;
  /** Every currency's `after − before` equals `imported` (false: someone else wrote meanwhile). */
  booksMatch: boolean;
}

type Sums = Map<string, { gross: number; refunded: number }>;

const examples = 3;

/** Collects the counts, skips, notes and money of one import run. */
export class Ledger {
  readonly #dryRun: boolean;
  readonly #licenses = { inFile: 0, imported: 0, alreadyThere: 0, skipped: 0 };
  readonly #purchases = { lines: 0, imported: 0, alreadyThere: 0, duplicates: 0, skipped: 0 };
  readonly #events: Record<string, number> = {};
  readonly #skipped: Skip[] = [];
  readonly #notes = new Map<string, Note>();
  readonly #legacy: Sums = new Map();
  readonly #imported: Sums = new Map();

  constructor(dryRun: boolean) {
    this.#dryRun = dryRun;
  }

  licenseSeen(): void {
    this.#licenses.inFile++;
  }

  lineSeen(): void {
    this.#purchases.lines++;
  }

  /** A license written (`created`) or found already there. */
  license(created: boolean): void {
    if (created) this.#licenses.imported++;
    else this.#licenses.alreadyThere++;
  }

  skip(where: string, reason: string): void {
    this.#skipped.push({ where, reason });
    if (where.startsWith('licenses.json')) this.#licenses.skipped++;
    else this.#purchases.skipped++;
  }

  note(where: string, notes: readonly string[]): void {
    for (const text of notes) {
      const entry = this.#notes.get(text) ?? { note: text, count: 0, where: [] };
      entry.count++;
      if (entry.where.length < examples) entry.where.push(where);
      this.#notes.set(text, entry);
    }
  }

  /** A later line of a sale already taken; `flagged` are the events its flags add to the sale. */
  duplicate(where: string, sale: LegacySale, flagged: readonly PurchaseEvent[]): void {
    this.#purchases.duplicates++;
    const saleId = sale.events[0]!.purchase.saleId;
    const added = flagged.map((event) => event.type).join(' and ');
    this.note(where, [
      flagged.length === 0
        ? `a second line of a sale already taken (sale_id ${saleId} once): not imported again`
        : `a later line of a sale already taken adds its ${added}, for the first line's license`,
    ]);
  }

  /** A sale taken from the files; `appended[i]` says whether `sale.events[i]` was new to the log. */
  sale(sale: LegacySale, appended: readonly boolean[]): void {
    this.flags(sale, appended);
    if (appended.some(Boolean)) this.#purchases.imported++;
    else this.#purchases.alreadyThere++;
  }

  /** Events of a sale counted in the books (without counting the sale's line as taken). */
  flags(sale: LegacySale, appended: readonly boolean[]): void {
    sale.events.forEach((event, i) => {
      add(this.#legacy, event.type, event.purchase.currency, event.purchase.amount);
      if (!appended[i]) return;
      add(this.#imported, event.type, event.purchase.currency, event.purchase.amount);
      this.#events[event.type] = (this.#events[event.type] ?? 0) + 1;
    });
  }

  /** The result, given the data directory's revenue before and (unless a dry run) after. */
  tally(before: Record<string, CurrencyRevenue>, after: Record<string, CurrencyRevenue> | null): Tally {
    const currencies = [
      ...new Set([...this.#legacy.keys(), ...Object.keys(before), ...Object.keys(after ?? {})]),
    ].sort();
    const books: Record<string, CurrencyBooks> = {};
    let booksMatch = true;
    for (const currency of currencies) {
      const was = before[currency] ?? revenue(0, 0);
      const imported = toRevenue(this.#imported.get(currency));
      const now = after?.[currency] ?? revenue(was.gross + imported.gross, was.refunded + imported.refunded);
      if (now.gross - was.gross !== imported.gross || now.refunded - was.refunded !== imported.refunded) {
        booksMatch = false;
      }
      books[currency] = { legacy: toRevenue(this.#legacy.get(currency)), before: was, imported, after: now };
    }
    return {
      dryRun: this.#dryRun,
      licenses: { ...this.#licenses },
      purchases: { ...this.#purchases, events: { ...this.#events } },
      skipped: [...this.#skipped],
      notes: [...this.#notes.values()],
      books,
      booksMatch,
    };
  }
}

/** Adds a payment (`sale`) or refund to the sums; disputes move no money. */
function add(sums: Sums, type: string, currency: string, amount: number): void {
  const sum = sums.get(currency) ?? { gross: 0, refunded: 0 };
  if (type === 'sale') sum.gross += amount;
  else if (type === 'refund') sum.refunded += amount;
  sums.set(currency, sum);
}

function revenue(gross: number, refunded: number): CurrencyRevenue {
  return { gross, refunded, net: gross - refunded };
}

function toRevenue(sum: { gross: number; refunded: number } | undefined): CurrencyRevenue {
  return revenue(sum?.gross ?? 0, sum?.refunded ?? 0);
}
