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
} from '../index.js';
import { errorText } from './command.js';
import type { DataDir } from './data.js';
import { importActor, keyIndex, legacyInactiveReason } from './legacy-import.js';
import type { LegacySale } from './legacy-purchase.js';

/** A license stored (`created`) or found stored already, or why it cannot be. */
export type InsertOutcome = { license: License; created: boolean } | string;

/** `source/purchaseId` of a license: the sale it belongs to. */
export function saleName(license: License): string {
  return `${license.purchaseSource}/${license.purchaseId}`;
}

/**
 * Inserts `license` directly (a legacy license is not a new sale: no email). Idempotent on its sale:
 * a second import finds it (`created: false`). Another license for that sale, or its key on another
 * sale, is a reason to skip it.
 */
export async function insertLegacyLicense(
  store: LicenseStore,
  license: License,
  dryRun: boolean,
): Promise<InsertOutcome> {
  if (dryRun) {
    const sameSale = await store.getByPurchase(license.purchaseSource, license.purchaseId);
    if (sameSale !== null && keyIndex(sameSale.key) === keyIndex(license.key)) {
      return { license: sameSale, created: false };
    }
    if (sameSale !== null) return `its sale ${saleName(license)} already has the license "${sameSale.key}"`;
    if ((await store.get(license.key)) !== null)
      return 'a license with this key already exists for another sale';
    return { license, created: true };
  }
  try {
    const result = await store.insert(license);
    if (result.created || keyIndex(result.license.key) === keyIndex(license.key)) return result;
    return `its sale ${saleName(license)} already has the license "${result.license.key}"`;
  } catch (error) {
    if (isLicenseKitError(error, 'INVALID_INPUT')) return errorText(error);
    throw error;
  }
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
    if (dryRun) {
      // The log deduplicates on source + eventId; the rest of this probe record does not matter.
      const probe: AuditRecord = {
        kind: 'purchase',
        id: '-',
        recordedAt: event.occurredAt,
        event,
        licenseKey: null,
      };
      appended.push(!(await data.storage.purchases.has(probe)));
    } else {
      appended.push(await data.manager.audit.recordPurchase(event, sale.licenseKey));
    }
  }
  return appended;
}
