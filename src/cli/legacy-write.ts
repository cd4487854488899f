/**
 * The writes of a legacy import, each idempotent: a license inserted once per sale, its `created`
 * (and `revoked`) records with ids derived from the license, purchase events deduplicated on their
 * deterministic ids. With `dryRun`, each only reads and says what it would do.
 */
import {
  type AuditRecord,
  createdRecordId,
  isLicenseKitError,
  type License,
  type LicenseStore,
  type PurchaseAuditLog,
  type PurchaseEvent,
  parseLicense,
} from '../index.js';
import { errorText } from './command.js';
import type { DataDir } from './data.js';
import {
  importActor,
  isSecondLicense,
  keyIndex,
  legacyInactiveReason,
  saleIdOf,
  secondLicenseOfSale,
} from './legacy-import.js';
import { type LegacySale, legacyEventId } from './legacy-purchase.js';

/** A license stored (`created`) or found stored already (with a note, if any), or why it cannot be. */
export type InsertOutcome = { license: License; created: boolean; note?: string } | string;

/** `source/purchaseId` of a license: the sale it belongs to. */
export function saleName(license: License): string {
  return `${license.purchaseSource}/${license.purchaseId}`;
}

/**
 * Inserts `license` directly (a legacy license is not a new sale: no email). Idempotent: a license
 * stored by an earlier import, under its sale or as a second license of it, is found (`created:
 * false`). When an earlier import gave its sale another license, it is kept as a second license of
 * the sale (see {@link secondLicenseOfSale}), so which licenses of a sale are stored first never
 * decides which are kept. Its key on another sale is a reason to skip it.
 */
export async function insertLegacyLicense(
  store: LicenseStore,
  license: License,
  dryRun: boolean,
): Promise<InsertOutcome> {
  const stored = await store.get(license.key);
  if (stored !== null) {
    if (isOfSale(stored, license)) return { license: stored, created: false };
    // An earlier run, which could not read the purchase line naming its sale, stored it under the
    // sale of its key alone; a stored license's sale never changes.
    if (stored.purchaseSource === 'legacy' && stored.purchaseId === stored.key) {
      const note = `stored by an earlier import under sale "legacy ${stored.key}", before its sale ${saleName(license)} was known: store events of that sale will not find it (revoke or extend it by hand)`;
      return { license: stored, created: false, note };
    }
    return 'a license with this key already exists for another sale';
  }
  const placed = await place(store, license, dryRun);
  if (placed !== null || isSecondLicense(license)) {
    return placed ?? `its sale ${saleName(license)} already has another license under this id`;
  }
  return (
    (await place(store, secondLicenseOfSale(license), dryRun)) ??
    `its sale ${saleName(license)} already has another license under this id`
  );
}

/** Stores `license`, or `null` when its sale has another license; a dry run only checks and looks. */
async function place(store: LicenseStore, license: License, dryRun: boolean): Promise<InsertOutcome | null> {
  try {
    if (dryRun) {
      parseLicense(license); // as the insert would
      const holder = await store.getByPurchase(license.purchaseSource, license.purchaseId);
      return holder === null ? { license, created: true } : null;
    }
    const result = await store.insert(license);
    return result.created || keyIndex(result.license.key) === keyIndex(license.key) ? result : null;
  } catch (error) {
    if (isLicenseKitError(error, 'INVALID_INPUT')) return errorText(error);
    throw error;
  }
}

/** Whether `stored` is `license` as an import stores it: under its sale, or as a second license of it. */
function isOfSale(stored: License, license: License): boolean {
  return stored.purchaseSource === license.purchaseSource && saleIdOf(stored) === saleIdOf(license);
}

/** The `created` record (and `revoked` for an inactive license), with ids that make them write-once. */
export async function recordLegacyLicense(audit: PurchaseAuditLog, license: License): Promise<void> {
  await audit.recordLicenseAction('created', license.key, {
    id: createdRecordId(license),
    reason: 'imported from the legacy licenses.json',
    actor: importActor,
  });
  if (license.status === 'revoked' && license.statusReason === legacyInactiveReason) {
    const id = createdRecordId({
      key: `${license.key}\u0000${legacyInactiveReason}`,
      createdAt: license.createdAt,
    });
    await audit.recordLicenseAction('revoked', license.key, {
      id,
      reason: legacyInactiveReason,
      actor: importActor,
    });
  }
}

/** Appends a sale's events in order; says which were new (a dry run asks the log without writing). */
export async function appendLegacySale(data: DataDir, sale: LegacySale, dryRun: boolean): Promise<boolean[]> {
  const appended: boolean[] = [];
  for (const event of sale.events) {
    // Recorded already, by an earlier import that knew no license to take the source from.
    if (sale.sourceFromLicense && (await isRecorded(data, asUnsourced(event)))) appended.push(false);
    else if (dryRun) appended.push(!(await isRecorded(data, event)));
    else appended.push(await data.manager.audit.recordPurchase(event, sale.licenseKey));
  }
  return appended;
}

/** Whether the log holds `event`: it deduplicates on source + event id, so the rest of the probe does not matter. */
function isRecorded(data: DataDir, event: PurchaseEvent): Promise<boolean> {
  const probe: AuditRecord = {
    kind: 'purchase',
    id: '-',
    recordedAt: event.occurredAt,
    event,
    licenseKey: null,
  };
  return data.storage.purchases.has(probe);
}

/** `event` as an import of its line recorded it when no license gave the line a source. */
function asUnsourced(event: PurchaseEvent): PurchaseEvent {
  const { purchase, type } = event;
  return {
    ...event,
    eventId: legacyEventId('legacy', purchase.saleId, type),
    purchase: { ...purchase, source: 'legacy' },
  };
}
