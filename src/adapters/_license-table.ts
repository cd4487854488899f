import { LicenseKitError } from '../domain/errors.js';
import { type License, licenseKeyIndex, purchaseIndex } from '../domain/license.js';
import { matchesLicenseFilter } from '../ports/filters.js';
import type { LicenseFilter, LicenseMutation } from '../ports/storage.js';

/**
 * The in-memory indexed set of licenses that every built-in store keeps: by key (case-insensitive)
 * and by `(purchaseSource, purchaseId)`, in insertion order. Records are frozen snapshots, so
 * readers get them without copying and nobody can change them behind the store's back.
 */
export class LicenseTable {
  readonly #byKey = new Map<string, License>();
  /**
   * Sale → key index: a license's sale never changes, so replacing a license touches `#byKey` only.
   * Built on the first lookup by sale, not while a store loads its file: validations never need it.
   */
  #byPurchase: Map<string, string> | null = null;

  get size(): number {
    return this.#byKey.size;
  }

  get(key: string): License | null {
    // Callers usually pass the canonical upper-case key: try it as is before folding case.
    return this.#byKey.get(key) ?? this.#byKey.get(licenseKeyIndex(key)) ?? null;
  }

  getByPurchase(source: string, purchaseId: string): License | null {
    const key = this.#purchases().get(purchaseIndex(source, purchaseId));
    return key === undefined ? null : (this.#byKey.get(key) ?? null);
  }

  /** The license that blocks inserting `license` (same sale), or throws if only the key collides. */
  conflictFor(license: License): License | null {
    const existing = this.getByPurchase(license.purchaseSource, license.purchaseId);
    if (existing) return existing;
    if (this.#byKey.has(licenseKeyIndex(license.key))) {
      throw new LicenseKitError('INVALID_INPUT', 'a license with this key already exists for another sale');
    }
    return null;
  }

  /**
   * The lookup form of a license key (see `licenseKeyIndex`). For a key stored in its lookup form,
   * that is the stored string itself, found without folding case: the validation hot path asks often.
   */
  #indexOf(key: string): string {
    return this.#byKey.has(key) ? key : licenseKeyIndex(key);
  }

  /** Adds or replaces a license (replacing keeps its position). */
  put(license: License): License {
    const frozen = freezeLicense(license);
    const key = this.#indexOf(frozen.key);
    if (this.#byPurchase !== null && !this.#byKey.has(key))
      this.#byPurchase.set(purchaseIndex(frozen.purchaseSource, frozen.purchaseId), key);
    this.#byKey.set(key, frozen);
    return frozen;
  }

  values(): IterableIterator<License> {
    return this.#byKey.values();
  }

  /** The licenses by lookup key, in insertion order. */
  entries(): IterableIterator<[string, License]> {
    return this.#byKey.entries();
  }

  /**
   * The licenses matching `filter`, in insertion order, streamed from the live table: each license at
   * most once, as it is when reached. Licenses added meanwhile come at the end.
   */
  *filter(filter?: LicenseFilter): Generator<License> {
    for (const license of this.#byKey.values()) if (matchesLicenseFilter(license, filter)) yield license;
  }

  /** The sale → key index, built from the table on first use. */
  #purchases(): Map<string, string> {
    if (this.#byPurchase === null) {
      this.#byPurchase = new Map();
      for (const [key, license] of this.#byKey) {
        this.#byPurchase.set(purchaseIndex(license.purchaseSource, license.purchaseId), key);
      }
    }
    return this.#byPurchase;
  }
}

/**
 * Runs `mutate` on `current` and checks it kept the license's identity (compared with `Object.is`,
 * which matches a kept string by reference without reading it: see `keepsAllButTelemetry`).
 */
export function applyMutation(current: License, mutate: LicenseMutation): License {
  const next = mutate(current);
  if (next === current) return current;
  const sameKey = Object.is(next.key, current.key);
  if (
    (!sameKey && licenseKeyIndex(next.key) !== licenseKeyIndex(current.key)) ||
    !Object.is(next.purchaseSource, current.purchaseSource) ||
    !Object.is(next.purchaseId, current.purchaseId)
  ) {
    throw new LicenseKitError('INVALID_INPUT', 'an update cannot change a license key or its purchase');
  }
  return sameKey ? next : { ...next, key: current.key };
}

/**
 * Deep-freezes a license record so shared snapshots stay immutable. Each part is frozen even when the
 * record already is: a record frozen elsewhere (by a caller's `mutate`) may hold devices that are not.
 */
export function freezeLicense(license: License): License {
  for (const device of license.devices) Object.freeze(device);
  Object.freeze(license.devices);
  return Object.freeze(license);
}
