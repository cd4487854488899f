import { type License, licenseKeyIndex } from '../../domain/license.js';
import { freezeLicense, LicenseTable } from '../_license-table.js';
import { carryTelemetry } from './telemetry.js';

/** What a file format loads licenses into when it reads its file (see `LicenseFile.refresh`). */
export interface LicenseSink {
  /** How many licenses were put since the last `clear()`, each key counted once. */
  readonly size: number;
  /** Takes `license` as the file now holds it. */
  put(license: License): void;
  /** Starts a reload: every license the file holds is put again, and only those stay. */
  clear(): void;
}

/** The tables a reload replaces, kept until a refresh succeeds: their telemetry is carried over. */
interface Replaced {
  readonly view: LicenseTable;
  readonly written: Map<string, License>;
}

/**
 * A file store's licenses in memory, twice: as the file holds them, and as readers see them, with
 * this process's validation telemetry that is not written yet on top. A license without such
 * telemetry is the same object in both, so recording a validation costs little beyond putting the
 * new snapshot in the view: no lookup, no entry of its own. What is unwritten is found when a flush
 * needs it, by comparing the two: a write that fails leaves it unwritten with nothing to put back.
 */
export class LicenseCache implements LicenseSink {
  #view = new LicenseTable();
  /** Each license as the file holds it, by lookup key: the view's own object unless telemetry is unwritten. */
  #written = new Map<string, License>();
  #replaced: Replaced | null = null;
  /**
   * The keys validated since the last take, so a flush looks at those only. Repeats are dropped
   * when the list outgrows the licenses; `null` when a flush must look at every license: after a
   * failed write, or once more than half of the licenses were validated.
   */
  #validated: string[] | null = [];

  /** What readers see: every license as written, with this process's unwritten telemetry on top. */
  get view(): LicenseTable {
    return this.#view;
  }

  get size(): number {
    return this.#written.size;
  }

  /** Takes `license` as the file holds it, with the telemetry this process had not written carried onto it. */
  put(license: License): void {
    const key = licenseKeyIndex(license.key);
    // A reload looks up what it replaces until it has put the key again.
    const replaced = this.#replaced !== null && !this.#written.has(key) ? this.#replaced : null;
    const written = (replaced?.written ?? this.#written).get(key);
    const seen = (replaced?.view ?? this.#view).get(key);
    const asWritten = written === undefined || seen === null || seen === written;
    // Frozen once: by the view when it takes the license as it is.
    const frozen = asWritten ? this.#view.put(license) : freezeLicense(license);
    this.#written.set(key, frozen);
    if (!asWritten) this.#view.put(carryTelemetry(written, seen, frozen));
  }

  clear(): void {
    if (this.#replaced === null) {
      this.#replaced = { view: this.#view, written: this.#written };
    } else {
      // A reload after one that failed: what the failed one loaded is newer than what it replaced.
      for (const [key, license] of this.#written) {
        this.#replaced.written.set(key, license);
        this.#replaced.view.put(this.#view.get(key)!);
      }
    }
    this.#view = new LicenseTable();
    this.#written = new Map();
  }

  /** Ends a refresh that succeeded: telemetry of licenses the file no longer holds is dropped. */
  refreshed(): void {
    this.#replaced = null;
  }

  /** True when a validation may have left telemetry unwritten since the last take. */
  get mayHaveUnwritten(): boolean {
    return this.#validated === null || this.#validated.length > 0;
  }

  /** Puts a validated license (a telemetry-only change) in the view, for a flush to write. */
  record(license: License): License {
    const validated = this.#validated;
    if (validated !== null) {
      validated.push(license.key);
      if (validated.length > this.#view.size) this.#validated = fewDistinct(validated, this.#view.size);
    }
    return this.#view.put(license);
  }

  /**
   * Calls `each` with every license whose telemetry is unwritten (by lookup key, as readers see it)
   * and starts noting validations afresh. Call {@link LicenseCache.takeFailed} if writing them fails.
   */
  takeUnwritten(each: (key: string, license: License) => void): void {
    const validated = this.#validated;
    this.#validated = [];
    if (validated === null) {
      for (const [key, license] of this.#view.entries()) {
        if (this.#written.get(key) !== license) each(key, license);
      }
      return;
    }
    const taken = new Set<string>();
    for (const validatedKey of validated) {
      const key = licenseKeyIndex(validatedKey);
      if (taken.has(key)) continue;
      taken.add(key);
      const license = this.#view.get(key);
      if (license !== null && this.#written.get(key) !== license) each(key, license);
    }
  }

  /** The write of what {@link LicenseCache.takeUnwritten} gave failed: the next take looks at every license. */
  takeFailed(): void {
    this.#validated = null;
  }

  /**
   * What a write of the whole table, starting now, writes of the licenses with unwritten telemetry:
   * the view's version of each, by lookup key. The others it writes as the file holds them.
   */
  unwrittenNow(): Map<string, License> {
    if (this.#validated === null) return new Map(this.#view.entries());
    const licenses = new Map<string, License>();
    for (const validatedKey of this.#validated) {
      const key = licenseKeyIndex(validatedKey);
      const license = this.#view.get(key);
      if (license !== null) licenses.set(key, license);
    }
    return licenses;
  }

  /** After a write of the whole table: it wrote `licenses` (from {@link LicenseCache.unwrittenNow}) as they were. */
  wroteAll(licenses: Map<string, License>): void {
    if (licenses.size === this.#written.size)
      this.#written = licenses; // every license: no copy
    else for (const [key, license] of licenses) this.#written.set(key, license);
  }

  /** After a write of `license` as readers saw it: telemetry recorded since stays unwritten. */
  wroteAsSeen(key: string, license: License): void {
    this.#written.set(key, license);
  }

  /**
   * After a write of `license`, made from `base` (the view's license then, or null for a new one):
   * telemetry recorded on `base` since is carried onto it and stays unwritten.
   */
  wrote(key: string, license: License, base: License | null): void {
    this.#written.set(key, license);
    const seen = this.#view.get(key);
    this.#view.put(
      base === null || seen === null || seen === base ? license : carryTelemetry(base, seen, license),
    );
  }
}

/** `keys` without repeats, or `null` when more than half of the `licenses` are among them. */
function fewDistinct(keys: readonly string[], licenses: number): string[] | null {
  const distinct = [...new Set(keys)];
  return distinct.length * 2 > licenses ? null : distinct;
}
