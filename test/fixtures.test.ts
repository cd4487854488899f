import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseAuditRecord } from '../src/domain/audit-record.js';
import { parseLicense } from '../src/domain/license.js';
import { parsePurchaseEvent } from '../src/domain/purchase.js';
import {
  deviceFixture,
  licenseFixture,
  licenseRecordFixture,
  purchaseEventFixture,
  purchaseRecordFixture,
} from '../src/testing.js';

const isoZ = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('licenseFixture', () => {
  it('is a valid active one-seat gumroad license for app', () => {
    const license = licenseFixture();
    expect(parseLicense(license)).toEqual(license);
    expect(license).toMatchObject({
      productId: 'app',
      status: 'active',
      statusReason: null,
      maxDevices: 1,
      devices: [],
      expiresAt: null,
      lastValidatedAt: null,
      validationCount: 0,
      purchaseSource: 'gumroad',
      subscriptionId: null,
      deliveredAt: null,
    });
    expect(license.email).toBe(license.email.trim().toLowerCase());
    expect(license.createdAt).toMatch(isoZ);
  });

  it('gives every call its own key, email and sale id', () => {
    const licenses = Array.from({ length: 100 }, () => licenseFixture());
    for (const field of ['key', 'email', 'purchaseId'] as const) {
      expect(new Set(licenses.map((license) => license[field])).size).toBe(100);
    }
  });

  it('applies overrides and copies the devices it is given', () => {
    const device = deviceFixture();
    const license = licenseFixture({ productId: 'pro', maxDevices: 3, devices: [device], status: 'revoked' });
    expect(license).toMatchObject({ productId: 'pro', maxDevices: 3, status: 'revoked', devices: [device] });
    expect(license.devices[0]).not.toBe(device);
    expect(parseLicense(license)).toEqual(license);
  });

  it('does not use Math.random', () => {
    const random = vi.spyOn(Math, 'random');
    licenseFixture();
    purchaseRecordFixture();
    licenseRecordFixture();
    deviceFixture();
    expect(random).not.toHaveBeenCalled();
  });
});

describe('deviceFixture', () => {
  it('is a valid device with a unique hardware id', () => {
    const [a, b] = [deviceFixture(), deviceFixture({ deviceName: null })];
    expect(a.hardwareId).not.toBe(b.hardwareId);
    expect(b.deviceName).toBeNull();
    expect(a.activatedAt).toMatch(isoZ);
    expect(parseLicense(licenseFixture({ maxDevices: 2, devices: [a, b] })).devices).toEqual([a, b]);
  });
});

describe('purchaseEventFixture', () => {
  it('is a valid gumroad sale with unique event and sale ids', () => {
    const [a, b] = [purchaseEventFixture(), purchaseEventFixture()];
    expect(parsePurchaseEvent(a)).toEqual(a);
    expect(a.type).toBe('sale');
    expect(a.purchase.source).toBe('gumroad');
    expect(a.occurredAt).toMatch(isoZ);
    expect(a.purchase.purchasedAt).toMatch(isoZ);
    expect(a.eventId).not.toBe(b.eventId);
    expect(a.purchase.saleId).not.toBe(b.purchase.saleId);
    expect(a.purchase.email).not.toBe(b.purchase.email);
  });

  it('merges purchase overrides field by field', () => {
    const event = purchaseEventFixture({
      type: 'refund',
      eventId: 'evt_1',
      occurredAt: '2024-02-01T00:00:00Z',
      purchase: { source: 'stripe', amount: 250 },
    });
    expect(event).toMatchObject({ type: 'refund', eventId: 'evt_1', occurredAt: '2024-02-01T00:00:00Z' });
    expect(event.purchase).toMatchObject({
      source: 'stripe',
      amount: 250,
      currency: 'USD',
      productId: 'app',
    });
    expect(parsePurchaseEvent(event)).toEqual(event);
  });
});

describe('audit record fixtures', () => {
  it('are valid records with unique ulid ids', () => {
    const records = [
      purchaseRecordFixture(),
      purchaseRecordFixture(),
      licenseRecordFixture(),
      licenseRecordFixture(),
    ];
    for (const record of records) {
      expect(parseAuditRecord(record)).toEqual(record);
      expect(record.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(record.recordedAt).toMatch(isoZ);
    }
    expect(new Set(records.map((record) => record.id)).size).toBe(records.length);
  });

  it('default to a sale with no license and a created action on a fresh key', () => {
    const purchase = purchaseRecordFixture();
    expect(purchase).toMatchObject({ kind: 'purchase', licenseKey: null, event: { type: 'sale' } });
    const [a, b] = [licenseRecordFixture(), licenseRecordFixture()];
    expect(a).toMatchObject({ kind: 'license', action: 'created', reason: null, actor: null });
    expect(a.licenseKey).not.toBe(b.licenseKey);
  });

  it('apply overrides, including nested event overrides', () => {
    const purchase = purchaseRecordFixture({
      id: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
      recordedAt: '2024-03-01T00:00:00.000Z',
      licenseKey: 'LK-1',
      event: { type: 'dispute', purchase: { email: 'x@example.com' } },
    });
    expect(purchase).toMatchObject({
      id: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
      recordedAt: '2024-03-01T00:00:00.000Z',
      licenseKey: 'LK-1',
      event: { type: 'dispute', purchase: { email: 'x@example.com', source: 'gumroad' } },
    });
    const license = licenseRecordFixture({
      action: 'revoked',
      licenseKey: 'LK-2',
      reason: 'refund',
      actor: 'admin',
    });
    expect(license).toMatchObject({
      action: 'revoked',
      licenseKey: 'LK-2',
      reason: 'refund',
      actor: 'admin',
    });
    expect(parseAuditRecord(purchase)).toEqual(purchase);
    expect(parseAuditRecord(license)).toEqual(license);
  });
});
