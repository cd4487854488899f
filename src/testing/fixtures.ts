import { ulid } from 'ulid';
import type { LicenseRecord, PurchaseRecord } from '../domain/audit-record.js';
import type { Device, License } from '../domain/license.js';
import type { Purchase, PurchaseEvent, PurchaseEventType } from '../domain/purchase.js';

/** The timestamp every fixture uses unless told otherwise. */
const defaultTime = '2024-01-01T00:00:00.000Z';

let sequence = 0;
let runTag: string | undefined;

/** A fresh suffix per call: a module counter plus a per-process tag, so values never repeat. */
function nextSuffix(): string {
  sequence += 1;
  // The last 8 characters of a ulid are random: they keep values apart across processes.
  runTag ??= ulid().slice(-8);
  return `${String(sequence).padStart(6, '0')}-${runTag}`;
}

/** Overrides for {@link purchaseEventFixture}; `purchase` is merged field by field. */
export interface PurchaseEventFixtureOverrides {
  type?: PurchaseEventType;
  eventId?: string;
  occurredAt?: string;
  purchase?: Partial<Purchase>;
}

/** Overrides for {@link purchaseRecordFixture}; `event` is merged like {@link purchaseEventFixture}. */
export interface PurchaseRecordFixtureOverrides {
  id?: string;
  recordedAt?: string;
  licenseKey?: string | null;
  event?: PurchaseEventFixtureOverrides;
}

/** A valid device bound at the default time; `hardwareId` is unique per call. */
export function deviceFixture(overrides: Partial<Device> = {}): Device {
  return {
    hardwareId: `hw-${nextSuffix()}`,
    deviceName: 'Test Machine',
    activatedAt: defaultTime,
    lastSeenAt: defaultTime,
    ...overrides,
  };
}

/**
 * A valid, active, perpetual one-seat license for product `app` sold on `gumroad`. Its key, email
 * and purchase id are unique per call; `overrides` replace whole fields.
 */
export function licenseFixture(overrides: Partial<License> = {}): License {
  const suffix = nextSuffix();
  const license: License = {
    key: `LK-TEST-${suffix.toUpperCase()}`,
    productId: 'app',
    email: `buyer-${suffix.toLowerCase()}@example.com`,
    customerName: 'Test Buyer',
    createdAt: defaultTime,
    expiresAt: null,
    status: 'active',
    statusReason: null,
    maxDevices: 1,
    devices: [],
    lastValidatedAt: null,
    validationCount: 0,
    purchaseSource: 'gumroad',
    purchaseId: `sale-${suffix}`,
    subscriptionId: null,
    deliveredAt: null,
    ...overrides,
  };
  return { ...license, devices: license.devices.map((device) => ({ ...device })) };
}

/**
 * A valid one-time `sale` of product `app` on `gumroad` for 10.00 USD. Its event id, sale id and
 * email are unique per call; `purchase` overrides are merged into the default purchase.
 */
export function purchaseEventFixture(overrides: PurchaseEventFixtureOverrides = {}): PurchaseEvent {
  const suffix = nextSuffix();
  const purchase: Purchase = {
    source: 'gumroad',
    saleId: `sale-${suffix}`,
    email: `buyer-${suffix.toLowerCase()}@example.com`,
    customerName: 'Test Buyer',
    customerId: null,
    productId: 'app',
    productName: 'App',
    tier: null,
    amount: 1000,
    currency: 'USD',
    quantity: 1,
    purchasedAt: defaultTime,
    isTest: false,
    isRecurring: false,
    subscriptionId: null,
    sourceLicenseKey: null,
    ...overrides.purchase,
  };
  return {
    type: overrides.type ?? 'sale',
    eventId: overrides.eventId ?? `evt-${suffix}`,
    occurredAt: overrides.occurredAt ?? defaultTime,
    purchase,
  };
}

/** A valid purchase audit record (new ulid id) around {@link purchaseEventFixture}, with no license. */
export function purchaseRecordFixture(overrides: PurchaseRecordFixtureOverrides = {}): PurchaseRecord {
  return {
    kind: 'purchase',
    id: overrides.id ?? ulid(),
    recordedAt: overrides.recordedAt ?? defaultTime,
    event: purchaseEventFixture(overrides.event),
    licenseKey: overrides.licenseKey === undefined ? null : overrides.licenseKey,
  };
}

/** A valid `created` license audit record (new ulid id) for a fresh key, with no reason or actor. */
export function licenseRecordFixture(overrides: Partial<Omit<LicenseRecord, 'kind'>> = {}): LicenseRecord {
  return {
    kind: 'license',
    id: ulid(),
    recordedAt: defaultTime,
    action: 'created',
    licenseKey: `LK-TEST-${nextSuffix().toUpperCase()}`,
    reason: null,
    actor: null,
    ...overrides,
  };
}
