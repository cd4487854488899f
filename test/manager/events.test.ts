import { describe, expect, it } from 'vitest';
import { unknownProductId } from '../../src/index.js';
import { purchaseEventFixture } from '../../src/testing.js';
import { actions, followUp, setup, storageKinds } from '../helpers/manager-setup.js';

const yearly = () => ({ durationDays: 365, maxDevices: 2, graceDays: 7 });

describe.each(storageKinds)('purchase events on %s storage', (kind) => {
  it('refund revokes; validation then says REVOKED', async () => {
    const { manager, records } = setup(kind);
    const sale = purchaseEventFixture();
    const { license } = await manager.handlePurchaseEvent(sale);
    const refund = await manager.handlePurchaseEvent(followUp(sale, 'refund'));
    expect(refund.action).toBe('revoked');
    expect(refund.license).toMatchObject({ key: license!.key, status: 'revoked', statusReason: 'refunded' });
    expect((await manager.validate(license!.key)).code).toBe('REVOKED');
    expect(actions(await records())).toContain('revoked:refunded:gumroad');
  });

  it('partial refunds and cancellations are recorded only', async () => {
    const { manager, records } = setup(kind, { plans: yearly });
    const sale = purchaseEventFixture({ purchase: { subscriptionId: 'sub_1', isRecurring: true } });
    const { license } = await manager.handlePurchaseEvent(sale);
    const partial = await manager.handlePurchaseEvent(followUp(sale, 'partial_refund', { amount: 300 }));
    const cancel = await manager.handlePurchaseEvent(followUp(sale, 'cancellation'));
    expect([partial.action, cancel.action]).toEqual(['recorded', 'recorded']);
    expect(cancel.license).toEqual(partial.license);
    expect(cancel.license).toMatchObject({ status: 'active', expiresAt: license!.expiresAt });
    expect(
      (await records()).filter((r) => r.kind === 'purchase' && r.licenseKey === license!.key),
    ).toHaveLength(3);
  });

  it('dispute suspends until won (valid again) or lost (revoked as chargeback)', async () => {
    const { manager } = setup(kind);
    const won = purchaseEventFixture();
    const { license } = await manager.handlePurchaseEvent(won);
    expect((await manager.handlePurchaseEvent(followUp(won, 'dispute'))).license?.statusReason).toBe(
      'disputed',
    );
    expect((await manager.validate(license!.key)).code).toBe('SUSPENDED');
    expect((await manager.handlePurchaseEvent(followUp(won, 'dispute_won'))).action).toBe('reinstated');
    expect(await manager.validate(license!.key)).toMatchObject({ valid: true, code: 'VALID' });

    const lost = purchaseEventFixture();
    await manager.handlePurchaseEvent(lost);
    await manager.handlePurchaseEvent(followUp(lost, 'dispute'));
    const chargeback = await manager.handlePurchaseEvent(followUp(lost, 'dispute_lost'));
    expect(chargeback).toMatchObject({
      action: 'revoked',
      license: { status: 'revoked', statusReason: 'chargeback' },
    });
  });

  it('a dispute won never un-revokes a refunded license', async () => {
    const { manager } = setup(kind);
    const sale = purchaseEventFixture();
    await manager.handlePurchaseEvent(sale);
    await manager.handlePurchaseEvent(followUp(sale, 'refund'));
    const won = await manager.handlePurchaseEvent(followUp(sale, 'dispute_won'));
    expect(won).toMatchObject({
      action: 'recorded',
      license: { status: 'revoked', statusReason: 'refunded' },
    });
  });

  it('a dispute won after it was lost lifts the chargeback (Paddle reverses chargebacks it wins)', async () => {
    const { manager } = setup(kind);
    const sale = purchaseEventFixture();
    const { license } = await manager.handlePurchaseEvent(sale);
    await manager.handlePurchaseEvent(followUp(sale, 'dispute_lost'));
    expect((await manager.validate(license!.key)).code).toBe('REVOKED');
    const won = await manager.handlePurchaseEvent(followUp(sale, 'dispute_won'));
    expect(won).toMatchObject({ action: 'reinstated', license: { status: 'active', statusReason: null } });
    expect((await manager.validate(license!.key)).valid).toBe(true);
  });

  it('renewal extends from the later of now and expiry; its redelivery extends nothing', async () => {
    const { manager, clock } = setup(kind, { plans: yearly });
    const sale = purchaseEventFixture({ purchase: { subscriptionId: 'sub_9', isRecurring: true } });
    const { license } = await manager.handlePurchaseEvent(sale);
    expect(license!.expiresAt).toBe('2026-03-01T10:00:00.000Z');
    clock.set('2026-02-27T10:00:00.000Z');
    // A renewal charge is a new sale id on the same subscription.
    const renewal = followUp(sale, 'renewal', { saleId: 'inv_2' });
    renewal.occurredAt = '2026-02-27T10:00:00.000Z';
    const renewed = await manager.handlePurchaseEvent(renewal);
    expect(renewed).toMatchObject({ action: 'renewed', license: { expiresAt: '2027-03-01T10:00:00.000Z' } });
    expect((await manager.handlePurchaseEvent(renewal)).action).toBe('duplicate');
    expect((await manager.getLicense(license!.key))?.expiresAt).toBe('2027-03-01T10:00:00.000Z');
    // A late renewal after a lapse counts from now.
    clock.set('2027-06-01T00:00:00.000Z');
    const late = followUp(sale, 'renewal', { saleId: 'inv_3' });
    late.occurredAt = '2027-06-01T00:00:00.000Z';
    expect((await manager.handlePurchaseEvent(late)).license?.expiresAt).toBe('2028-05-31T00:00:00.000Z');
  });

  it('a renewal of a license without a term is renewed and changes nothing', async () => {
    const { manager } = setup(kind);
    const sale = purchaseEventFixture({ purchase: { subscriptionId: 'sub_3', isRecurring: true } });
    const { license } = await manager.handlePurchaseEvent(sale);
    const renewal = await manager.handlePurchaseEvent(followUp(sale, 'renewal', { saleId: 'inv_2' }));
    expect(renewal).toEqual({ action: 'renewed', license });
  });

  it('a renewal paid after an admin extension adds its whole term on top', async () => {
    const { manager, clock } = setup(kind, { plans: yearly });
    const sale = purchaseEventFixture({ purchase: { subscriptionId: 'sub_7', isRecurring: true } });
    const { license } = await manager.handlePurchaseEvent(sale);
    await manager.extend(license!.key, { days: 400 }); // a goodwill gift: expiry 2027-04-05
    clock.set('2026-02-27T10:00:00.000Z');
    const renewal = followUp(sale, 'renewal', { saleId: 'inv_2' });
    renewal.occurredAt = '2026-02-27T10:00:00.000Z';
    const renewed = await manager.handlePurchaseEvent(renewal);
    expect(renewed).toMatchObject({ action: 'renewed', license: { expiresAt: '2028-04-04T10:00:00.000Z' } });
    expect((await manager.handlePurchaseEvent(renewal)).action).toBe('duplicate');
    expect((await manager.getLicense(license!.key))?.expiresAt).toBe('2028-04-04T10:00:00.000Z');
  });

  it('a renewal delivered 10 times at once extends once', async () => {
    const { manager, clock, records } = setup(kind, { plans: yearly });
    const sale = purchaseEventFixture({ purchase: { subscriptionId: 'sub_8', isRecurring: true } });
    const { license } = await manager.handlePurchaseEvent(sale);
    clock.set('2026-02-27T10:00:00.000Z');
    const renewal = followUp(sale, 'renewal', { saleId: 'inv_2' });
    renewal.occurredAt = '2026-02-27T10:00:00.000Z';
    const results = await Promise.all(Array.from({ length: 10 }, () => manager.handlePurchaseEvent(renewal)));
    expect(results.map((result) => result.action).sort()).toEqual([...Array(9).fill('duplicate'), 'renewed']);
    expect((await manager.getLicense(license!.key))?.expiresAt).toBe('2027-03-01T10:00:00.000Z');
    expect(actions(await records()).filter((action) => action.startsWith('extended'))).toHaveLength(1);
  });

  it('a renewal whose extension is stored but whose purchase record is not (a crash) extends once', async () => {
    const { manager, clock, storage } = setup(kind, { plans: yearly });
    const sale = purchaseEventFixture({ purchase: { subscriptionId: 'sub_6', isRecurring: true } });
    const { license } = await manager.handlePurchaseEvent(sale);
    clock.set('2026-02-27T10:00:00.000Z');
    const renewal = followUp(sale, 'renewal', { saleId: 'inv_2' });
    renewal.occurredAt = '2026-02-27T10:00:00.000Z';
    // The first delivery extends and writes its `extended` record, then the purchase record fails.
    const append = storage.purchases.append;
    storage.purchases.append = async (record) => {
      if (record.kind === 'purchase' && record.event.eventId === renewal.eventId)
        throw new Error('disk full');
      return append.call(storage.purchases, record);
    };
    await expect(manager.handlePurchaseEvent(renewal)).rejects.toThrow('disk full');
    storage.purchases.append = append;
    expect((await manager.getLicense(license!.key))?.expiresAt).toBe('2027-03-01T10:00:00.000Z');
    // The store retries: the renewal is recorded, and the license is not extended a second time.
    expect(await manager.handlePurchaseEvent(renewal)).toMatchObject({
      action: 'renewed',
      license: { expiresAt: '2027-03-01T10:00:00.000Z' },
    });
    expect((await manager.handlePurchaseEvent(renewal)).action).toBe('duplicate');
  });

  it('a refund and a renewal whose payload names no product are booked under the license product', async () => {
    const { manager, records } = setup(kind, { plans: yearly });
    const sale = purchaseEventFixture({
      purchase: {
        productId: 'pro',
        productName: 'Pro',
        amount: 5000,
        subscriptionId: 'sub_4',
        isRecurring: true,
      },
    });
    const { license } = await manager.handlePurchaseEvent(sale);
    const nameless = { productId: unknownProductId, productName: unknownProductId };
    await manager.handlePurchaseEvent(followUp(sale, 'renewal', { ...nameless, saleId: 'inv_2' }));
    await manager.handlePurchaseEvent(followUp(sale, 'refund', { ...nameless, amount: 5000 }));
    const booked = (await records()).flatMap((r) =>
      r.kind === 'purchase' ? [r.event.purchase.productId] : [],
    );
    expect(booked).toEqual(['pro', 'pro', 'pro']);
    expect((await manager.audit.getPurchaseStats()).topProducts).toEqual([
      { productId: 'pro', productName: 'Pro', count: 2, revenue: { USD: 5000 } },
    ]);
    expect((await manager.audit.getPurchaseStats({ productId: 'pro' })).revenue).toEqual({
      USD: { gross: 10000, refunded: 5000, net: 5000 },
    });
    expect(license!.productId).toBe('pro');
  });

  it('a subscription with a license per payment (an import) renews the one that runs longest', async () => {
    const { manager, storage } = setup(kind, { plans: yearly });
    const sale = purchaseEventFixture({ purchase: { subscriptionId: 'sub_m', isRecurring: true } });
    const { license } = await manager.handlePurchaseEvent(sale);
    const charge = (saleId: string, expiresAt: string) =>
      storage.licenses.insert({ ...license!, key: `MEM-${saleId}`, purchaseId: saleId, expiresAt });
    await charge('R2', '2026-06-01T00:00:00.000Z'); // the current one, not listed last
    await charge('R3', '2025-09-01T00:00:00.000Z');
    const renewed = await manager.handlePurchaseEvent(
      followUp(sale, 'renewal', { saleId: 'R4', subscriptionId: 'sub_m' }),
    );
    expect(renewed).toMatchObject({
      action: 'renewed',
      license: { key: 'MEM-R2', expiresAt: '2027-06-01T00:00:00.000Z' },
    });
  });

  it("a renewal or restart that names no tier gets the term of its sale's tier", async () => {
    // The README's plans: a Pro tier is a year, anything else perpetual.
    const plans = ({ tier }: { tier: string | null }) => ({
      ...(tier === 'Pro' ? { durationDays: 365, maxDevices: 3 } : { durationDays: null, maxDevices: 1 }),
      graceDays: 7,
    });
    const { manager, clock } = setup(kind, { plans });
    const sale = purchaseEventFixture({
      purchase: { subscriptionId: 'sub_t', isRecurring: true, tier: 'Pro' },
    });
    const { license } = await manager.handlePurchaseEvent(sale);
    expect(license?.expiresAt).toBe('2026-03-01T10:00:00.000Z');
    // A Stripe renewal invoice carries no Checkout metadata: no tier.
    const renewal = followUp(sale, 'renewal', { saleId: 'in_2', tier: null });
    expect(await manager.handlePurchaseEvent(renewal)).toMatchObject({
      action: 'renewed',
      license: { expiresAt: '2027-03-01T10:00:00.000Z' },
    });
    await manager.handlePurchaseEvent(followUp(sale, 'subscription_ended', { tier: null }));
    clock.advance({ days: 10 });
    const restarted = await manager.handlePurchaseEvent(
      followUp(sale, 'subscription_restarted', { tier: null }),
    );
    // A year again, not the perpetual term of the tier-less plan.
    expect(restarted.license?.expiresAt).toBe('2026-03-11T10:00:00.000Z');
  });

  it('subscription end expires now; a restart reinstates a new term', async () => {
    const { manager, clock } = setup(kind, { plans: yearly });
    const sale = purchaseEventFixture({ purchase: { subscriptionId: 'sub_5', isRecurring: true } });
    const { license } = await manager.handlePurchaseEvent(sale);
    clock.advance({ days: 40 });
    const ended = await manager.handlePurchaseEvent(followUp(sale, 'subscription_ended'));
    expect(ended).toMatchObject({ action: 'expired', license: { expiresAt: '2025-04-10T10:00:00.000Z' } });
    clock.advance({ days: 10 });
    expect((await manager.validate(license!.key)).code).toBe('EXPIRED');
    const restarted = await manager.handlePurchaseEvent(followUp(sale, 'subscription_restarted'));
    expect(restarted).toMatchObject({
      action: 'reinstated',
      license: { expiresAt: '2026-04-20T10:00:00.000Z' },
    });
    expect((await manager.validate(license!.key)).valid).toBe(true);
  });

  it('on a perpetual plan, a restart after the subscription ended makes the license perpetual again', async () => {
    const { manager, clock } = setup(kind);
    const sale = purchaseEventFixture({ purchase: { subscriptionId: 'sub_6', isRecurring: true } });
    const { license } = await manager.handlePurchaseEvent(sale);
    await manager.handlePurchaseEvent(followUp(sale, 'subscription_ended'));
    clock.advance({ days: 1 });
    expect((await manager.validate(license!.key)).code).toBe('EXPIRED');
    const restarted = await manager.handlePurchaseEvent(followUp(sale, 'subscription_restarted'));
    expect(restarted).toMatchObject({ action: 'reinstated', license: { expiresAt: null } });
    expect((await manager.validate(license!.key)).code).toBe('VALID');
  });

  it('a restart of a subscription whose license stays revoked gives no term and is only recorded', async () => {
    const { manager, clock, records } = setup(kind, { plans: yearly });
    const sale = purchaseEventFixture({ purchase: { subscriptionId: 'sub_7', isRecurring: true } });
    const { license } = await manager.handlePurchaseEvent(sale);
    await manager.handlePurchaseEvent(followUp(sale, 'refund'));
    clock.advance({ days: 400 });
    const restarted = await manager.handlePurchaseEvent(followUp(sale, 'subscription_restarted'));
    expect(restarted).toMatchObject({
      action: 'recorded',
      license: { status: 'revoked', expiresAt: license!.expiresAt },
    });
    expect(actions(await records()).filter((a) => a.startsWith('reinstated'))).toEqual([]);
    expect((await manager.validate(license!.key)).code).toBe('REVOKED');
  });

  it('a won dispute lifts the block but gives no new term to a license that lapsed meanwhile', async () => {
    const { manager, clock } = setup(kind, { plans: yearly });
    const sale = purchaseEventFixture();
    const { license } = await manager.handlePurchaseEvent(sale);
    await manager.handlePurchaseEvent(followUp(sale, 'dispute'));
    clock.advance({ days: 400 });
    const won = await manager.handlePurchaseEvent(followUp(sale, 'dispute_won'));
    expect(won).toMatchObject({
      action: 'reinstated',
      license: { status: 'active', expiresAt: license!.expiresAt },
    });
    expect((await manager.validate(license!.key)).code).toBe('EXPIRED');
  });

  it('partial refunds that add up to the sale are a full refund: the last one revokes', async () => {
    const { manager } = setup(kind);
    const sale = purchaseEventFixture({ purchase: { amount: 5000, currency: 'USD' } });
    const { license } = await manager.handlePurchaseEvent(sale);
    const part = (amount: number) => ({
      ...followUp(sale, 'partial_refund'),
      purchase: { ...sale.purchase, amount },
    });
    expect((await manager.handlePurchaseEvent(part(2000))).action).toBe('recorded');
    // Another currency's refund does not count toward this sale's dollars.
    const yen = { ...part(3000), purchase: { ...sale.purchase, amount: 3000, currency: 'JPY' } };
    expect((await manager.handlePurchaseEvent(yen)).action).toBe('recorded');
    expect(await manager.handlePurchaseEvent(part(3000))).toMatchObject({
      action: 'revoked',
      license: { key: license!.key, status: 'revoked', statusReason: 'refunded' },
    });
    const refunded = [];
    for await (const record of manager.audit.getRefundedPurchases())
      refunded.push(record.event.purchase.saleId);
    expect(refunded).toEqual([sale.purchase.saleId]);
    const stats = await manager.audit.getPurchaseStats();
    expect(stats.revenue.USD).toEqual({ gross: 5000, refunded: 5000, net: 0 });
  });

  it('two partial refunds that complete the sale, delivered at once, revoke the license once', async () => {
    const { manager } = setup(kind);
    const sale = purchaseEventFixture({ purchase: { source: 'paddle', amount: 1000 } });
    const { license } = await manager.handlePurchaseEvent(sale);
    const half = () => followUp(sale, 'partial_refund', { amount: 500 });
    const results = await Promise.all([
      manager.handlePurchaseEvent(half()),
      manager.handlePurchaseEvent(half()),
    ]);
    expect(results.map((result) => result.action).sort()).toEqual(['recorded', 'revoked']);
    expect((await manager.getLicense(license!.key))?.status).toBe('revoked');
  });

  it('a refund needs no plan: one that names no tier revokes under plans looked up by tier', async () => {
    const table: Record<string, { durationDays: number | null; maxDevices: number }> = {
      Pro: { durationDays: 365, maxDevices: 3 },
    };
    const { manager } = setup(kind, { plans: ({ tier }) => table[tier ?? '']! });
    const sale = purchaseEventFixture({ purchase: { tier: 'Pro' } });
    expect((await manager.handlePurchaseEvent(sale)).action).toBe('created');
    // Stripe refunds and disputes carry no Checkout metadata: no tier.
    expect((await manager.handlePurchaseEvent(followUp(sale, 'refund', { tier: null }))).action).toBe(
      'revoked',
    );
    // So does a refund that comes before its sale: the sale gives the license its terms later.
    const early = purchaseEventFixture({ type: 'refund', purchase: { tier: null } });
    expect((await manager.handlePurchaseEvent(early)).action).toBe('recorded');
  });

  it('a renewal extends the license of the subscription that is active, not a revoked one that runs longer', async () => {
    const { manager, clock } = setup(kind, { plans: () => ({ durationDays: 30, maxDevices: 1 }) });
    const first = purchaseEventFixture({ purchase: { subscriptionId: 'sub-r', isRecurring: true } });
    const active = (await manager.handlePurchaseEvent(first)).license!;
    clock.advance({ days: 10 });
    const second = purchaseEventFixture({ purchase: { subscriptionId: 'sub-r', isRecurring: true } });
    const revoked = (await manager.handlePurchaseEvent(second)).license!;
    await manager.revoke(revoked.key, 'refunded');
    const renewed = await manager.handlePurchaseEvent(followUp(first, 'renewal', { saleId: 'renewal-1' }));
    expect(renewed.license?.key).toBe(active.key);
  });

  it('a refund before its sale is recorded, and the sale is born revoked without an email', async () => {
    const { manager, mailer, licenses } = setup(kind);
    const sale = purchaseEventFixture();
    const early = await manager.handlePurchaseEvent(followUp(sale, 'refund'));
    expect(early.action).toBe('recorded');
    const born = await manager.handlePurchaseEvent(sale);
    expect(born).toMatchObject({
      action: 'revoked',
      license: { status: 'revoked', statusReason: 'refunded' },
    });
    expect(born.license?.key).toBe(early.license?.key);
    expect(await licenses()).toHaveLength(1);
    expect(mailer.sent).toHaveLength(0);
    expect((await manager.handlePurchaseEvent(sale)).action).toBe('duplicate');
  });

  it('a dispute before its sale: the sale is born suspended, emailed, and works once the dispute is won', async () => {
    const { manager, mailer } = setup(kind);
    const sale = purchaseEventFixture();
    await manager.handlePurchaseEvent(followUp(sale, 'dispute'));
    const born = await manager.handlePurchaseEvent(sale);
    expect(born).toMatchObject({ action: 'suspended', license: { status: 'suspended' } });
    expect(mailer.sent).toHaveLength(1);
    await manager.handlePurchaseEvent(followUp(sale, 'dispute_won'));
    expect((await manager.validate(born.license!.key)).valid).toBe(true);
  });

  it('a license stored early from a dispute that names no product takes the sale’s terms', async () => {
    const plans = (query: { productId: string }) =>
      query.productId === 'pro'
        ? { durationDays: 365, maxDevices: 3 }
        : { durationDays: null, maxDevices: 1 };
    const { manager } = setup(kind, { plans });
    const sale = purchaseEventFixture({
      purchase: { productId: 'pro', quantity: 2, email: 'buyer@example.com', customerName: 'Buyer' },
    });
    const nameless = {
      productId: unknownProductId,
      productName: '',
      quantity: 1,
      email: '',
      customerName: '',
    };
    const early = await manager.handlePurchaseEvent(followUp(sale, 'dispute', nameless));
    expect(early.license).toMatchObject({ productId: unknownProductId, maxDevices: 1, expiresAt: null });
    const born = await manager.handlePurchaseEvent(sale);
    expect(born.license).toMatchObject({
      key: early.license!.key,
      status: 'suspended',
      productId: 'pro',
      email: 'buyer@example.com',
      customerName: 'Buyer',
      maxDevices: 6,
      expiresAt: '2026-03-01T10:00:00.000Z',
    });
    await manager.handlePurchaseEvent(followUp(sale, 'dispute_won'));
    expect(await manager.validate(born.license!.key, { productId: 'pro' })).toMatchObject({ code: 'VALID' });
  });

  it('a license stored early and reinstated before its sale still takes the sale’s terms and is emailed', async () => {
    const { manager, mailer } = setup(kind, { plans: yearly });
    const sale = purchaseEventFixture({
      purchase: { productId: 'pro', email: 'buyer@example.com', customerName: 'Buyer' },
    });
    const nameless = { productId: unknownProductId, productName: '', email: '', customerName: '' };
    const early = await manager.handlePurchaseEvent(followUp(sale, 'dispute', nameless));
    const won = await manager.handlePurchaseEvent(followUp(sale, 'dispute_won', nameless));
    expect(won.license).toMatchObject({ status: 'active', productId: unknownProductId, email: '' });
    expect(mailer.sent).toEqual([]);
    const born = await manager.handlePurchaseEvent(sale);
    expect(born).toMatchObject({
      action: 'created',
      license: { key: early.license!.key, status: 'active', productId: 'pro', email: 'buyer@example.com' },
    });
    expect(mailer.sent.map((sent) => sent.to)).toEqual(['buyer@example.com']);
    expect(await manager.validate(born.license!.key, { productId: 'pro' })).toMatchObject({ code: 'VALID' });
  });

  it('a refund and its sale delivered at the same moment end revoked, in either order', async () => {
    const { manager, licenses } = setup(kind);
    const sale = purchaseEventFixture();
    await Promise.all([
      manager.handlePurchaseEvent(followUp(sale, 'refund')),
      manager.handlePurchaseEvent(sale),
    ]);
    const all = await licenses();
    expect(all).toHaveLength(1);
    expect(all[0]!.status).toBe('revoked');
  });

  it('events for a sale never seen that change nothing are recorded with no license', async () => {
    const { manager, licenses } = setup(kind);
    const orphan = purchaseEventFixture({ type: 'renewal', purchase: { subscriptionId: 'sub_x' } });
    expect(await manager.handlePurchaseEvent(orphan)).toEqual({ action: 'recorded', license: null });
    expect(await licenses()).toHaveLength(0);
  });

  it('the policy overrides rules: a partial refund can revoke, a dispute can do nothing', async () => {
    const { manager } = setup(kind, {
      policy: { partial_refund: { action: 'revoke', reason: 'partial' }, dispute: 'record' },
    });
    const a = purchaseEventFixture();
    await manager.handlePurchaseEvent(a);
    const part = followUp(a, 'partial_refund', { amount: 1 }); // a part: all of it would be a refund
    expect((await manager.handlePurchaseEvent(part)).license?.statusReason).toBe('partial');
    const b = purchaseEventFixture();
    await manager.handlePurchaseEvent(b);
    expect(await manager.handlePurchaseEvent(followUp(b, 'dispute'))).toMatchObject({
      action: 'recorded',
      license: { status: 'active' },
    });
  });

  it('a malformed event is refused with INVALID_INPUT and writes nothing', async () => {
    const { manager, records } = setup(kind);
    const bad = { ...purchaseEventFixture(), occurredAt: 'yesterday' };
    await expect(manager.handlePurchaseEvent(bad)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await records()).toEqual([]);
  });
});

describe.each(storageKinds)('renewals that do not name the product on %s storage', (kind) => {
  it('take the term from the license product', async () => {
    const { manager } = setup(kind, {
      plans: (query) =>
        query.productId === 'app'
          ? { durationDays: 30, maxDevices: 1 }
          : { durationDays: null, maxDevices: 1 },
    });
    const sale = purchaseEventFixture({ purchase: { subscriptionId: 'sub_p', isRecurring: true } });
    const { license } = await manager.handlePurchaseEvent(sale);
    const renewal = followUp(sale, 'renewal', { saleId: 'inv_1', productId: 'unknown' });
    renewal.occurredAt = license!.expiresAt!;
    expect((await manager.handlePurchaseEvent(renewal)).license?.expiresAt).toBe('2025-04-30T10:00:00.000Z');
  });
});
