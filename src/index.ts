export { memoryStorage } from './adapters/memory-storage.js';
export { reconcileStorage } from './adapters/reconcile-storage.js';
export {
  type AuditRecord,
  auditDedupeKey,
  createdRecordId,
  type LicenseAction,
  type LicenseRecord,
  type PurchaseRecord,
  parseAuditRecord,
} from './domain/audit-record.js';
export {
  isLicenseKitError,
  LicenseKitError,
  LicenseKitErrorCode,
  type LicenseKitErrorOptions,
  StorageError,
  type ValidationIssue,
} from './domain/errors.js';
export { type Device, type License, type LicenseStatus, parseLicense } from './domain/license.js';
export {
  createLicenseKeyFormat,
  defaultLicenseKeyFormat,
  generateLicenseKey,
  type LicenseKeyFormat,
  normalizeLicenseKey,
} from './domain/license-key.js';
export {
  type Purchase,
  type PurchaseEvent,
  type PurchaseEventType,
  parsePurchaseEvent,
  purchaseEventTypes,
} from './domain/purchase.js';
export { matchesAuditFilter, matchesLicenseFilter } from './ports/filters.js';
export { isTelemetryOnlyChange } from './ports/license-changes.js';
export type {
  AuditFilter,
  InsertResult,
  LicenseFilter,
  LicenseMutation,
  LicenseStore,
  PurchaseLog,
  Storage,
} from './ports/storage.js';
