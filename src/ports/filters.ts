import type { AuditRecord } from '../domain/audit-record.js';
import type { License } from '../domain/license.js';
import type { AuditFilter, LicenseFilter } from './storage.js';

/** True when `license` matches every field given in `filter`. For adapters that filter in memory. */
export function matchesLicenseFilter(license: License, filter: LicenseFilter | undefined): boolean {
  if (filter === undefined) return true;
  return (
    (filter.email === undefined || license.email === filter.email) &&
    (filter.productId === undefined || license.productId === filter.productId) &&
    (filter.status === undefined || license.status === filter.status) &&
    (filter.purchaseSource === undefined || license.purchaseSource === filter.purchaseSource) &&
    (filter.subscriptionId === undefined || license.subscriptionId === filter.subscriptionId)
  );
}

/** True when `record` matches every field given in `filter`. For adapters that filter in memory. */
export function matchesAuditFilter(record: AuditRecord, filter: AuditFilter | undefined): boolean {
  if (filter === undefined) return true;
  if (filter.kind !== undefined && record.kind !== filter.kind) return false;
  if (filter.since !== undefined && record.recordedAt < filter.since) return false;
  if (filter.until !== undefined && record.recordedAt > filter.until) return false;
  if (
    filter.licenseKey !== undefined &&
    record.licenseKey?.toUpperCase() !== filter.licenseKey.toUpperCase()
  ) {
    return false;
  }
  if (record.kind === 'license') {
    const purchaseOnly =
      filter.source !== undefined ||
      filter.type !== undefined ||
      filter.email !== undefined ||
      filter.productId !== undefined;
    return !purchaseOnly && (filter.action === undefined || record.action === filter.action);
  }
  const { type, purchase } = record.event;
  return (
    filter.action === undefined &&
    (filter.source === undefined || purchase.source === filter.source) &&
    (filter.type === undefined || type === filter.type) &&
    (filter.email === undefined || purchase.email === filter.email.trim().toLowerCase()) &&
    (filter.productId === undefined || purchase.productId === filter.productId)
  );
}
