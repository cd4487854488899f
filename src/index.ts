export { memoryStorage } from './adapters/memory-storage.js';
export { reconcileStorage } from './adapters/reconcile-storage.js';
export { type CsvColumn, type CsvExportOptions, csvColumns } from './audit/csv-export.js';
export {
  type AuditQuery,
  type LicenseActionDetails,
  PurchaseAuditLog,
  type PurchaseAuditLogOptions,
  type TestPurchaseOption,
} from './audit/purchase-audit-log.js';
export type {
  CurrencyRevenue,
  ProductStats,
  PurchaseStats,
  PurchaseStatsFilter,
  SourceStats,
} from './audit/purchase-stats.js';
export {
  type AuditRecord,
  auditDedupeKey,
  createdRecordId,
  type LicenseAction,
  type LicenseRecord,
  type PurchaseRecord,
  parseAuditRecord,
} from './domain/audit-record.js';
export { type Clock, systemClock } from './domain/clock.js';
export { currencyExponent, formatMinorUnits, parseDecimalToMinorUnits } from './domain/currency.js';
export {
  isLicenseKitError,
  LicenseKitError,
  type LicenseKitErrorCode,
  type LicenseKitErrorCodes,
  type LicenseKitErrorOptions,
  NormalizationError,
  StorageError,
  type ValidationIssue,
  WebhookVerificationError,
} from './domain/errors.js';
export { type Device, type License, type LicenseStatus, parseLicense } from './domain/license.js';
export {
  createLicenseKeyFormat,
  defaultLicenseKeyFormat,
  generateLicenseKey,
  type LicenseKeyFormat,
  normalizeLicenseKey,
} from './domain/license-key.js';
export { defaultPlan, type Plan, type PlanQuery, type PlanResolver } from './domain/plan.js';
export {
  type Purchase,
  type PurchaseEvent,
  type PurchaseEventType,
  parsePurchaseEvent,
  purchaseEventTypes,
  type RefundTotal,
  unknownProductId,
} from './domain/purchase.js';
export type { ValidationCode, ValidationRequest, ValidationResult } from './domain/validation-result.js';
export { type ConsoleMailerOptions, consoleMailer } from './mail/console-mailer.js';
export {
  defaultLicenseEmailTemplate,
  escapeHtml,
  type LicenseEmail,
  type LicenseEmailContext,
  type LicenseEmailTemplate,
} from './mail/license-email.js';
export type { Mailer, MailMessage } from './mail/mailer.js';
export type { CreateLicenseInput } from './manager/create-license-input.js';
export { MailDeliveryError } from './manager/license-delivery.js';
export { type ActorOption, LicenseManager, type LicenseManagerOptions } from './manager/license-manager.js';
export type { PurchaseEventAction, PurchaseEventResult } from './manager/purchase-event-handler.js';
export {
  defaultPurchasePolicy,
  type PurchaseAction,
  type PurchasePolicy,
  type PurchasePolicyOverrides,
  type PurchaseRule,
} from './manager/purchase-policy.js';
export type { SafeNormalizeResult } from './normalizers/_normalize.js';
export {
  type GumroadPingFields,
  normalizeGumroadPing,
  safeNormalizeGumroadPing,
} from './normalizers/gumroad.js';
export {
  normalizeLemonSqueezyEvent,
  safeNormalizeLemonSqueezyEvent,
} from './normalizers/lemon-squeezy.js';
export {
  normalizePaddleEvent,
  type PaddleNormalizeOptions,
  safeNormalizePaddleEvent,
} from './normalizers/paddle.js';
export { normalizePayPalEvent, safeNormalizePayPalEvent } from './normalizers/paypal.js';
export {
  normalizeStripeEvent,
  type StripeCheckoutSession,
  type StripeNormalizeOptions,
  type StripePayment,
  safeNormalizeStripeEvent,
} from './normalizers/stripe.js';
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
export {
  createWebhookHandler,
  type WebhookHandler,
  type WebhookHandlerOptions,
} from './webhooks/create-webhook-handler.js';
export {
  type VerifyLemonSqueezySignatureOptions,
  verifyLemonSqueezySignature,
} from './webhooks/lemon-squeezy-signature.js';
export { type VerifyPaddleSignatureOptions, verifyPaddleSignature } from './webhooks/paddle-signature.js';
export {
  payPalCertificateHosts,
  type VerifyPayPalSignatureOptions,
  verifyPayPalSignature,
} from './webhooks/paypal-signature.js';
export type { WebhookProvider } from './webhooks/provider.js';
export { type GumroadProviderOptions, gumroad } from './webhooks/providers/gumroad.js';
export { type LemonSqueezyProviderOptions, lemonSqueezy } from './webhooks/providers/lemon-squeezy.js';
export { type PaddleCustomer, type PaddleProviderOptions, paddle } from './webhooks/providers/paddle.js';
export {
  type PayPalProviderOptions,
  type PayPalVerificationRequest,
  type PayPalVerifier,
  paypal,
} from './webhooks/providers/paypal.js';
export { type StripeProviderOptions, stripe } from './webhooks/providers/stripe.js';
export { maxWebhookBodyBytes } from './webhooks/read-body.js';
export { type VerifyStripeSignatureOptions, verifyStripeSignature } from './webhooks/stripe-signature.js';
