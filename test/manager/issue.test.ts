import { describe, expect, it } from 'vitest';
import { isLicenseKitError, normalizeLicenseKey, reconcileStorage } from '../../src/index.js';
import { purchaseEventFixture } from '../../src/testing.js';
import { actions, followUp, setup, storageKinds } from '../helpers/manager-setup.js';

describe.each(storageKinds)('issuing licenses on %s storage', (kind) => {
  it('a sale creates one active license, records it and emails the key once', async () => {
    const { manager, mailer, records } = setup(kind);
    const sale = purchaseEventFixture();
    const result = await manager.handlePurchaseEvent(sale);
    expect(result.action).toBe('created');
    const license = result.license!;
    expect(normalizeLicenseKey(license.key)).toBe(license.key);
    expect(license).toMatchObject({
      productId: 'app',
      email: sale.purchase.email,
      status: 'active',
      expiresAt: null,
      maxDevices: 1,
      purchaseSource: 'gumroad',
      purchaseId: sale.purchase.saleId,
      createdAt: '2025-03-01T10:00:00.000Z',
      deliveredAt: '2025-03-01T10:00:00.000Z',
    });
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]!.to).toBe(sale.purchase.email);
    expect(mailer.sent[0]!.text).toContain(license.key);
    const log = await records();
    expect(log.filter((r) => r.kind === 'purchase')).toMatchObject([
      { event: sale, licenseKey: license.key },
    ]);
    expect(actions(log)).toEqual(['created:gumroad sale:gumroad', 'email_sent::gumroad']);
  });

  it('the same delivery 20 times at once and again later gives one license, one record, one email', async () => {
    const { manager, mailer, records, licenses } = setup(kind);
    const sale = purchaseEventFixture();
    const results = await Promise.all(Array.from({ length: 20 }, () => manager.handlePurchaseEvent(sale)));
    const again = await manager.handlePurchaseEvent(sale);
    const keys = new Set([...results, again].map((result) => result.license?.key));
    expect(keys.size).toBe(1);
    expect(results.filter((result) => result.action === 'created')).toHaveLength(1);
    expect(again.action).toBe('duplicate');
    expect(await licenses()).toHaveLength(1);
    expect((await records()).filter((r) => r.kind === 'purchase')).toHaveLength(1);
    expect(mailer.sent).toHaveLength(1);
  });

  it('a second event id for the same sale never makes a second license', async () => {
    const { manager, mailer, licenses, records } = setup(kind);
    const sale = purchaseEventFixture();
    const first = await manager.handlePurchaseEvent(sale);
    const second = await manager.handlePurchaseEvent(followUp(sale, 'sale'));
    expect(second).toEqual({ action: 'duplicate', license: first.license });
    expect(await licenses()).toHaveLength(1);
    // The books count the sale once.
    expect((await records()).filter((r) => r.kind === 'purchase')).toHaveLength(1);
    expect(await manager.audit.getPurchaseStats()).toMatchObject({
      totalPurchases: 1,
      revenue: { USD: { gross: sale.purchase.amount } },
    });
    expect(mailer.sent).toHaveLength(1);
  });

  it('two event ids for one sale delivered at once make one license and one email', async () => {
    const { manager, mailer, licenses } = setup(kind);
    const sale = purchaseEventFixture();
    const results = await Promise.all(
      [sale, followUp(sale, 'sale')].map((e) => manager.handlePurchaseEvent(e)),
    );
    expect(results.map((result) => result.action).sort()).toEqual(['created', 'duplicate']);
    expect(results[0]!.license?.key).toBe(results[1]!.license?.key);
    expect(await licenses()).toHaveLength(1);
    expect(mailer.sent).toHaveLength(1);
    expect((await manager.audit.getPurchaseStats()).totalPurchases).toBe(1);
  });

  it('a crash before the sale is recorded, a restart that reconciles, and the retry: the sale is booked once', async () => {
    const { manager, storage, records, mailer } = setup(kind);
    const sale = purchaseEventFixture();
    const append = storage.purchases.append;
    storage.purchases.append = async (record) => {
      if (record.kind === 'purchase') throw new Error('crash');
      return append.call(storage.purchases, record);
    };
    await expect(manager.handlePurchaseEvent(sale)).rejects.toThrow('crash');
    storage.purchases.append = append;
    // On open, file storage appends the `created` record the crash left out.
    await reconcileStorage(storage);
    expect(actions(await records())).toEqual(['created:reconciled:licensekit']);
    const retry = await manager.handlePurchaseEvent(sale);
    expect(retry.license?.key).toBeDefined();
    expect((await manager.audit.getPurchaseStats()).totalPurchases).toBe(1);
    expect(mailer.sent).toHaveLength(1);
  });

  it('a crash after the sale is recorded and before its created record: the retry writes that record', async () => {
    const { manager, storage, records } = setup(kind);
    const sale = purchaseEventFixture();
    const append = storage.purchases.append;
    storage.purchases.append = async (record) => {
      if (record.kind === 'license') throw new Error('crash');
      return append.call(storage.purchases, record);
    };
    await expect(manager.handlePurchaseEvent(sale)).rejects.toThrow('crash');
    storage.purchases.append = append;
    expect((await manager.handlePurchaseEvent(sale)).action).toBe('duplicate');
    expect(actions(await records()).filter((action) => action.startsWith('created'))).toHaveLength(1);
    // With its created record in place, a second event of the sale is still not a second sale.
    await manager.handlePurchaseEvent(followUp(sale, 'sale'));
    expect((await manager.audit.getPurchaseStats()).totalPurchases).toBe(1);
  });

  it("a sale entered with createLicense and then the store's webhook is one sale in the books", async () => {
    const { manager, mailer } = setup(kind);
    const sale = purchaseEventFixture();
    const license = await manager.createLicense({
      email: sale.purchase.email,
      customerName: sale.purchase.customerName,
      productId: sale.purchase.productId,
      purchase: sale.purchase,
    });
    expect(await manager.handlePurchaseEvent(sale)).toEqual({ action: 'duplicate', license });
    expect((await manager.audit.getPurchaseStats()).totalPurchases).toBe(1);
    expect(mailer.sent).toHaveLength(1);
  });

  it("createLicense and the store's webhook of the same sale at once are one sale in the books", async () => {
    // createLicense's sale record is slow to append (an fsync, a network round trip): the webhook
    // arriving meanwhile must wait for it rather than book the sale a second time.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { manager, mailer, records } = setup(kind, {}, (storage) => ({
      licenses: storage.licenses,
      purchases: {
        append: async (record) => {
          if (record.kind === 'purchase' && record.event.eventId.startsWith('createLicense:')) await held;
          return storage.purchases.append(record);
        },
        has: (record) => storage.purchases.has(record),
        scan: (filter) => storage.purchases.scan(filter),
        close: () => storage.purchases.close(),
      },
    }));
    const sale = purchaseEventFixture();
    const entered = manager.createLicense({
      email: sale.purchase.email,
      customerName: sale.purchase.customerName,
      productId: sale.purchase.productId,
      purchase: sale.purchase,
    });
    const handled = manager.handlePurchaseEvent(sale);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the webhook gets as far as it can
    release();
    const [license, webhook] = await Promise.all([entered, handled]);
    expect(webhook).toEqual({ action: 'duplicate', license });
    expect((await records()).filter((r) => r.kind === 'purchase')).toHaveLength(1);
    expect((await manager.audit.getPurchaseStats()).revenue.USD?.gross).toBe(sale.purchase.amount);
    expect(mailer.sent).toHaveLength(1);
  });

  it('plans set the term and the seats: quantity × maxDevices', async () => {
    const { manager } = setup(kind, {
      plans: (query) =>
        query.tier === 'Pro' ? { durationDays: 365, maxDevices: 3 } : { durationDays: null, maxDevices: 1 },
    });
    const pro = await manager.handlePurchaseEvent(
      purchaseEventFixture({ purchase: { tier: 'Pro', quantity: 2 } }),
    );
    expect(pro.license).toMatchObject({ maxDevices: 6, expiresAt: '2026-03-01T10:00:00.000Z' });
    const basic = await manager.handlePurchaseEvent(purchaseEventFixture());
    expect(basic.license).toMatchObject({ maxDevices: 1, expiresAt: null });
  });

  it('test purchases are recorded and issue nothing unless asked', async () => {
    const { manager, licenses, records, mailer } = setup(kind);
    const test = purchaseEventFixture({ purchase: { isTest: true } });
    expect(await manager.handlePurchaseEvent(test)).toEqual({ action: 'ignored', license: null });
    expect(await licenses()).toHaveLength(0);
    expect(await records()).toMatchObject([{ kind: 'purchase', event: test, licenseKey: null }]);
    expect(mailer.sent).toHaveLength(0);
    const processing = setup(kind, { processTestPurchases: true });
    expect((await processing.manager.handlePurchaseEvent(test)).action).toBe('created');
  });

  it('createLicense makes a manual license with its records and email, and validates its input', async () => {
    const { manager, mailer, records } = setup(kind);
    const license = await manager.createLicense({
      email: '  Jane@Example.COM ',
      customerName: 'Jane',
      productId: 'app',
      expiresInDays: 30,
      maxDevices: 2,
    });
    expect(license).toMatchObject({
      email: 'jane@example.com',
      purchaseSource: 'manual',
      maxDevices: 2,
      expiresAt: '2025-03-31T10:00:00.000Z',
      deliveredAt: '2025-03-01T10:00:00.000Z',
    });
    expect(mailer.sent.map((m) => m.to)).toEqual(['jane@example.com']);
    expect(actions(await records())).toEqual(['created:manual:createLicense', 'email_sent::createLicense']);
    const bad = manager.createLicense({ email: 'not an email', customerName: 'x', productId: 'app' });
    await expect(bad).rejects.toSatisfy((error) => isLicenseKitError(error, 'INVALID_INPUT'));
  });

  it('createLicense refuses an expiry that names no real moment, or lies beyond what a Date holds', async () => {
    const { manager, licenses, records } = setup(kind);
    const base = { email: 'x@example.com', customerName: 'X', productId: 'app' };
    for (const bad of [
      { expiresAt: '2025-13-01T00:00:00Z' },
      { expiresAt: '2025-01-01T25:00:00Z' },
      { expiresAt: '2025-02-30T00:00:00Z' },
      { expiresInDays: 1e9 },
    ]) {
      await expect(manager.createLicense({ ...base, ...bad })).rejects.toSatisfy((e) =>
        isLicenseKitError(e, 'INVALID_INPUT'),
      );
    }
    expect(await licenses()).toEqual([]);
    expect(await records()).toEqual([]);
  });

  it('a plans function that returns no plan, or nonsense, is INVALID_PLAN and stores nothing', async () => {
    const table: Record<string, { durationDays: number | null; maxDevices: number }> = {};
    for (const plans of [
      (query: { productId: string }) => table[query.productId]!, // a lookup that missed
      () => ({ durationDays: 1e12, maxDevices: 1 }),
      () => ({ durationDays: null, maxDevices: 1.5 }),
      () => ({ durationDays: 30, maxDevices: 1, graceDays: Number.NaN }),
      () => ({ durationDays: 0, maxDevices: 1 }),
      () => ({ durationDays: -30, maxDevices: 1 }),
      () => ({ durationDays: null, maxDevices: -1 }),
    ]) {
      const { manager, licenses, records } = setup(kind, { plans });
      await expect(manager.handlePurchaseEvent(purchaseEventFixture())).rejects.toSatisfy((e) =>
        isLicenseKitError(e, 'INVALID_PLAN'),
      );
      await expect(
        manager.createLicense({ email: 'p@example.com', customerName: 'P', productId: 'app' }),
      ).rejects.toSatisfy((e) => isLicenseKitError(e, 'INVALID_PLAN'));
      expect(await licenses()).toEqual([]);
      expect(await records()).toEqual([]);
    }
  });

  it('createLicense with a purchase is idempotent on that sale', async () => {
    const { manager, licenses } = setup(kind);
    const { purchase } = purchaseEventFixture();
    const input = { email: purchase.email, customerName: 'B', productId: 'app', purchase };
    const [a, b] = await Promise.all([manager.createLicense(input), manager.createLicense(input)]);
    expect(a.key).toBe(b.key);
    expect((await manager.createLicense(input)).key).toBe(a.key);
    expect(await licenses()).toHaveLength(1);
  });
});
