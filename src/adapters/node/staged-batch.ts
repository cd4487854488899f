import { LicenseKitError } from '../../domain/errors.js';
import { type License, licenseKeyIndex, parseLicense, purchaseIndex } from '../../domain/license.js';
import type { InsertResult, LicenseMutation } from '../../ports/storage.js';
import { applyMutation, freezeLicense, type LicenseTable } from '../_license-table.js';
import type { LicenseCache } from './license-cache.js';

/** One operation of a file store's write batch. */
export type WriteOp =
  | { kind: 'insert'; license: License }
  | { kind: 'update'; key: string; mutate: LicenseMutation }
  | { kind: 'flush' };

/** The licenses a batch changes, seen on top of the view while the batch is applied. */
export class Staged {
  /** What the batch writes: new and changed licenses, and the licenses a flush writes as they are. */
  readonly changes = new Map<string, License>();
  /** The keys of the new and changed licenses in `changes`, each with the view's license it replaces. */
  readonly changed = new Map<string, License | null>();
  /** True when the batch flushes telemetry. */
  flushes = false;
  readonly #byPurchase = new Map<string, License>();
  readonly #cache: LicenseCache;
  readonly #table: LicenseTable;

  constructor(cache: LicenseCache) {
    this.#cache = cache;
    this.#table = cache.view;
  }

  apply(op: WriteOp): InsertResult | License | null | undefined {
    if (op.kind === 'flush') {
      if (this.flushes) return undefined; // a second flush in the batch: the first took everything
      this.flushes = true;
      this.#cache.takeUnwritten((key, license) => {
        if (!this.changes.has(key)) this.changes.set(key, license);
      });
      return undefined;
    }
    if (op.kind === 'insert') return this.#insert(op.license);
    const current = this.#get(licenseKeyIndex(op.key));
    if (current === null) return null;
    const next = applyMutation(current, op.mutate);
    if (next === current) return current;
    return this.#stage(parseLicense(next));
  }

  #insert(license: License): InsertResult {
    const sale = purchaseIndex(license.purchaseSource, license.purchaseId);
    const existing =
      this.#byPurchase.get(sale) ?? this.#table.getByPurchase(license.purchaseSource, license.purchaseId);
    if (existing) return { license: existing, created: false };
    if (this.#get(licenseKeyIndex(license.key))) {
      throw new LicenseKitError('INVALID_INPUT', 'a license with this key already exists for another sale');
    }
    return { license: this.#stage(license), created: true };
  }

  #get(key: string): License | null {
    return this.changes.get(key) ?? this.#table.get(key);
  }

  #stage(license: License): License {
    const frozen = freezeLicense(license);
    const key = licenseKeyIndex(license.key);
    this.changes.set(key, frozen);
    if (!this.changed.has(key)) this.changed.set(key, this.#table.get(key));
    this.#byPurchase.set(purchaseIndex(license.purchaseSource, license.purchaseId), frozen);
    return frozen;
  }
}
