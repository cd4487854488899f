import { PurchaseAuditLog } from '../audit/purchase-audit-log.js';
import { checkLicenseActionDetails } from '../domain/audit-record.js';
import { type Clock, isoString, systemClock } from '../domain/clock.js';
import { LicenseKitError } from '../domain/errors.js';
import type { License, LicenseStatus } from '../domain/license.js';
import { defaultLicenseKeyFormat, type LicenseKeyFormat } from '../domain/license-key.js';
import { checkPlan, defaultPlan, maxTermDays, type Plan, type PlanResolver } from '../domain/plan.js';
import type { Purchase, PurchaseEvent } from '../domain/purchase.js';
import { newRecordId } from '../domain/record-id.js';
import type { ValidationRequest, ValidationResult } from '../domain/validation-result.js';
import { defaultLicenseEmailTemplate, type LicenseEmailTemplate } from '../mail/license-email.js';
import type { Mailer } from '../mail/mailer.js';
import { checkStorage } from '../ports/check-storage.js';
import type { LicenseMutation, Storage } from '../ports/storage.js';
import { checkLicense, type LicenseCheck, maxKeyLength, readValidationRequest } from './check-license.js';
import { type CreateLicenseInput, parseCreateLicenseInput } from './create-license-input.js';
import { LicenseDelivery } from './license-delivery.js';
import { PurchaseEventHandler, type PurchaseEventResult } from './purchase-event-handler.js';
import { type PurchasePolicyOverrides, resolvePolicy } from './purchase-policy.js';
import { salePurchaseOf } from './sale-purchase.js';

/** Options of {@link LicenseManager}. */
export interface LicenseManagerOptions {
  storage: Storage;
  /** Sends the license email; without one, no email is sent. */
  mailer?: Mailer;
  /** Where time comes from (default: the system clock). */
  clock?: Clock;
  /** The key format: how keys are generated and how typed keys are normalized. */
  keys?: LicenseKeyFormat;
  /** Maps a product (and tier) to its terms (default: perpetual, 1 device, no grace). */
  plans?: PlanResolver;
  /** Replaces the default license email. */
  emailTemplate?: LicenseEmailTemplate;
  /** Overrides rules of the default purchase rulebook. */
  policy?: PurchasePolicyOverrides;
  /** Issue licenses for test purchases (`isTest`) too; by default they are recorded and ignored. */
  processTestPurchases?: boolean;
}

/** Who did an admin action, for the audit record (default `admin`). */
export interface ActorOption {
  actor?: string;
}

const dayMs = 86_400_000;

/**
 * Issues licenses for sales, applies refunds, disputes, renewals and cancellations, and validates
 * keys with device binding. Works unchanged on every storage adapter: every change is one atomic
 * storage update, and every event and action leaves an audit record in `manager.audit`.
 */
export class LicenseManager {
  /** The purchase and license history this manager writes. */
  readonly audit: PurchaseAuditLog;
  readonly #storage: Storage;
  readonly #clock: Clock;
  readonly #keys: LicenseKeyFormat;
  readonly #plans: PlanResolver;
  readonly #delivery: LicenseDelivery;
  readonly #events: PurchaseEventHandler;

  constructor(options: LicenseManagerOptions) {
    this.#storage = checkStorage(options.storage);
    this.#clock = options.clock ?? systemClock;
    this.#keys = options.keys ?? defaultLicenseKeyFormat;
    const { plans } = options;
    this.#plans = plans ? (query) => checkPlan(plans(query)) : () => defaultPlan;
    this.audit = new PurchaseAuditLog({ storage: this.#storage, clock: this.#clock });
    this.#delivery = new LicenseDelivery({
      licenses: this.#storage.licenses,
      audit: this.audit,
      mailer: options.mailer,
      template: options.emailTemplate ?? defaultLicenseEmailTemplate,
      clock: this.#clock,
    });
    this.#events = new PurchaseEventHandler({
      storage: this.#storage,
      audit: this.audit,
      delivery: this.#delivery,
      clock: this.#clock,
      plans: this.#plans,
      policy: resolvePolicy(options.policy),
      processTestPurchases: options.processTestPurchases ?? false,
      newLicense: (purchase, terms) => this.#newLicense(purchase, terms),
    });
  }

  /**
   * Issues a license, stores it, records it and emails it (if a mailer is set). With a `purchase`,
   * it is that sale's license and idempotent on it, and it waits for the store's events of that sale
   * being handled (so a mailer must not call it, or `handlePurchaseEvent`, for the sale it is
   * mailing: that would wait for itself); without, a `manual` license. Rejects with `MAIL_FAILED` (a
   * `MailDeliveryError` carrying the stored license) if the email fails.
   */
  async createLicense(input: CreateLicenseInput): Promise<License> {
    const valid = parseCreateLicenseInput(input);
    const now = this.#clock();
    const purchase: Purchase = valid.purchase ?? {
      source: 'manual',
      saleId: newRecordId(now.getTime()),
      email: valid.email,
      customerName: valid.customerName,
      customerId: null,
      productId: valid.productId,
      productName: valid.productId,
      tier: null,
      amount: 0,
      currency: 'USD',
      quantity: 1,
      purchasedAt: now.toISOString(),
      isTest: false,
      isRecurring: false,
      subscriptionId: null,
      sourceLicenseKey: null,
    };
    const plan = this.#plans(purchase);
    const expiresAt =
      valid.expiresAt ?? (valid.expiresInDays !== undefined ? after(now, valid.expiresInDays) : undefined);
    const license = this.#newLicense(purchase, {
      ...plan,
      maxDevices: valid.maxDevices ?? purchase.quantity * plan.maxDevices,
      expiresAt,
      email: valid.email,
      customerName: valid.customerName,
      productId: valid.productId,
    });
    const event: PurchaseEvent | null = valid.purchase
      ? { type: 'sale', eventId: `createLicense:${purchase.saleId}`, occurredAt: now.toISOString(), purchase }
      : null;
    const issued = await this.#events.create(license, event);
    return issued.license!;
  }

  /**
   * Applies a normalized purchase event by the rulebook. Idempotent: a redelivered event (same
   * source and event id) changes nothing and reports `duplicate`; a second event for one sale never
   * makes a second license. An event for a sale not seen yet is applied when the sale arrives.
   */
  handlePurchaseEvent(event: PurchaseEvent): Promise<PurchaseEventResult> {
    return this.#events.handle(event);
  }

  /**
   * Validates a key for a device; binds a free seat to a new `hardwareId`. Whatever a customer typed
   * as the key gets a result (a key longer than any stored one is `NOT_FOUND`). Rejects with
   * `INVALID_INPUT` only for a request no client should send: a key that is not a string, a request
   * that is not an object, a `hardwareId` empty once trimmed, or a `hardwareId`, `deviceName` or
   * `productId` longer than 256 characters. The `hardwareId` is trimmed, as stored devices' are.
   * A key of the key format's shape with a wrong check symbol is `MALFORMED_KEY` unless a license
   * has exactly that key (an imported key of another scheme may look like ours): such a key is
   * looked up as typed, so a typo costs one lookup before it is named.
   */
  async validate(key: string, options: ValidationRequest = {}): Promise<ValidationResult> {
    const now = this.#clock();
    const checkedAt = isoString(now);
    const request = readValidationRequest(key, options);
    if (key.length > maxKeyLength) return missed('NOT_FOUND', 'no license has this key', checkedAt);
    const normalized = this.#keys.normalize(key);
    if (normalized === '') return missed('NOT_FOUND', 'no key was given', checkedAt);
    let check: LicenseCheck | undefined;
    const license = await this.#storage.licenses.update(normalized ?? key.trim(), (current) => {
      check = checkLicense(current, request, now, checkedAt, this.#graceDays);
      return check.next;
    });
    if (license === null || check === undefined) {
      return normalized === null
        ? missed('MALFORMED_KEY', 'the key has a typo: its check symbol does not match', checkedAt)
        : missed('NOT_FOUND', 'no license has this key', checkedAt);
    }
    if (check.bound) {
      await this.audit.recordLicenseAction('device_activated', license.key, {
        reason: check.device?.deviceName ?? null,
        actor: `device:${request.hardwareId}`,
      });
    }
    const valid = check.code === 'VALID' || check.code === 'GRACE_PERIOD';
    return { valid, code: check.code, detail: check.detail, license, device: check.device, checkedAt };
  }

  /** The license with this key (normalized, or as typed: see {@link LicenseManager.validate}), or `null`. */
  async getLicense(key: string): Promise<License | null> {
    const normalized = this.#keys.normalize(key);
    return normalized === '' ? null : this.#storage.licenses.get(normalized ?? key.trim());
  }

  /** Licenses matching every given field, in creation order. */
  findLicenses(
    filter: { email?: string; productId?: string; status?: LicenseStatus } = {},
  ): AsyncIterable<License> {
    const email = filter.email?.trim().toLowerCase();
    return this.#storage.licenses.list(email === undefined ? filter : { ...filter, email });
  }

  /** Frees the seat of one device. */
  deactivateDevice(key: string, hardwareId: string, options: ActorOption = {}): Promise<License> {
    // Trimmed as a validation's hardwareId is: the id the client bound the device with frees it.
    const id = typeof hardwareId === 'string' ? hardwareId.trim() : hardwareId;
    return this.#admin(key, 'device_deactivated', id, options, (license) => {
      const devices = license.devices.filter((device) => device.hardwareId !== id);
      return devices.length === license.devices.length ? license : { ...license, devices };
    });
  }

  /** Blocks a license until it is reinstated. */
  suspend(key: string, reason: string, options: ActorOption = {}): Promise<License> {
    return this.#admin(key, 'suspended', reason, options, (license) =>
      license.status === 'active' ? { ...license, status: 'suspended', statusReason: reason } : license,
    );
  }

  /** Makes a suspended or revoked license active again. */
  reinstate(key: string, options: ActorOption = {}): Promise<License> {
    return this.#admin(key, 'reinstated', null, options, (license) =>
      license.status === 'active' ? license : { ...license, status: 'active', statusReason: null },
    );
  }

  /** Revokes a license for good (reinstate can still undo a mistake). */
  revoke(key: string, reason: string, options: ActorOption = {}): Promise<License> {
    return this.#admin(key, 'revoked', reason, options, (license) =>
      license.status === 'revoked' ? license : { ...license, status: 'revoked', statusReason: reason },
    );
  }

  /**
   * Moves the expiry: `days` (a number over 0, at most 1,000,000) from the later of now and the
   * current expiry, or `until` a date. A perpetual license never expires, so `days` leave it as it
   * is; `until` gives it that expiry. An expiry that does not change is not recorded.
   */
  async extend(
    key: string,
    by: { days: number } | { until: string | Date },
    options: ActorOption = {},
  ): Promise<License> {
    const until = 'until' in by ? toInstant(by.until) : null;
    if (!('until' in by) && !(typeof by.days === 'number' && by.days > 0 && by.days <= maxTermDays)) {
      throw new LicenseKitError('INVALID_INPUT', 'extend needs days or an until date');
    }
    return this.#admin(key, 'extended', null, options, (license) => {
      const current = license.expiresAt;
      if (until === null ? current === null : Date.parse(until) === Date.parse(current ?? '')) return license;
      const base = Math.max(this.#clock().getTime(), license.expiresAt ? Date.parse(license.expiresAt) : 0);
      const expiresAt = until ?? new Date(base + (by as { days: number }).days * dayMs).toISOString();
      return { ...license, expiresAt };
    });
  }

  /**
   * Sends the license email again (even if it was sent before), with the sale's purchase as the
   * first email had it (product name included), read from the log's `sale` record of the license.
   */
  async resendLicenseEmail(key: string, options: ActorOption = {}): Promise<License> {
    const actor = options.actor ?? 'admin';
    checkLicenseActionDetails({ reason: null, actor });
    const license = await this.#existing(key);
    return this.#delivery.resend(license, await salePurchaseOf(this.audit, license.key), actor);
  }

  /** Closes the storage (flushing anything written behind). */
  async close(): Promise<void> {
    await this.#storage.licenses.close();
    await this.#storage.purchases.close();
  }

  #newLicense(
    purchase: Purchase,
    terms: Plan & { expiresAt?: string; email?: string; customerName?: string; productId?: string },
  ): License {
    const now = this.#clock();
    return {
      key: this.#keys.generate(),
      productId: terms.productId ?? purchase.productId,
      email: terms.email ?? purchase.email,
      customerName: terms.customerName ?? purchase.customerName,
      createdAt: now.toISOString(),
      expiresAt: terms.expiresAt ?? (terms.durationDays === null ? null : after(now, terms.durationDays)),
      status: 'active',
      statusReason: null,
      maxDevices: terms.maxDevices,
      devices: [],
      lastValidatedAt: null,
      validationCount: 0,
      purchaseSource: purchase.source,
      purchaseId: purchase.saleId,
      subscriptionId: purchase.subscriptionId,
      deliveredAt: null,
    };
  }

  /** The grace days of a license's plan; a field, so validations pass it without a new closure. */
  readonly #graceDays = (license: License): number => {
    const plan = this.#plans({
      productId: license.productId,
      tier: null,
      source: license.purchaseSource,
      quantity: 1,
    });
    return plan.graceDays ?? 0;
  };

  async #existing(key: string): Promise<License> {
    const license = await this.getLicense(key);
    if (!license) throw new LicenseKitError('LICENSE_NOT_FOUND', 'no license has this key');
    return license;
  }

  async #admin(
    key: string,
    action: 'device_deactivated' | 'suspended' | 'reinstated' | 'revoked' | 'extended',
    reason: string | null,
    options: ActorOption,
    mutate: LicenseMutation,
  ): Promise<License> {
    const actor = options.actor ?? 'admin';
    checkLicenseActionDetails({ reason, actor });
    const license = await this.#existing(key);
    let changed = false;
    const updated = await this.#storage.licenses.update(license.key, (current) => {
      const next = mutate(current);
      changed = next !== current;
      return next;
    });
    if (!updated) throw new LicenseKitError('LICENSE_NOT_FOUND', 'no license has this key');
    if (changed) {
      const detail = action === 'extended' ? `until ${updated.expiresAt}` : reason;
      await this.audit.recordLicenseAction(action, updated.key, { reason: detail, actor });
    }
    return updated;
  }
}

/** The result of a validation whose key found no license. */
function missed(code: 'MALFORMED_KEY' | 'NOT_FOUND', detail: string, checkedAt: string): ValidationResult {
  return { valid: false, code, detail, license: null, device: null, checkedAt };
}

/** `days` after `from`, as an ISO timestamp. */
export function after(from: Date, days: number): string {
  return new Date(from.getTime() + days * dayMs).toISOString();
}

function toInstant(value: string | Date): string {
  const time = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(time)) throw new LicenseKitError('INVALID_INPUT', 'until must be a date');
  return new Date(time).toISOString();
}
