import { describe, expect, it } from 'vitest';
import { isLicenseKitError, MailDeliveryError } from '../../src/index.js';
import { purchaseEventFixture } from '../../src/testing.js';
import { actions, setup, storageKinds } from '../helpers/manager-setup.js';

describe.each(storageKinds)('admin actions and email on %s storage', (kind) => {
  it('each admin action leaves an audit record with reason and actor', async () => {
    const { manager, records, clock } = setup(kind);
    const license = await manager.createLicense({
      email: 'a@example.com',
      customerName: 'A',
      productId: 'app',
    });
    await manager.suspend(license.key, 'chargeback review', { actor: 'ops@shop' });
    await manager.reinstate(license.key, { actor: 'ops@shop' });
    clock.advance({ days: 1 });
    const extended = await manager.extend(license.key, { days: 10 });
    expect(extended.expiresAt).toBe('2025-03-12T10:00:00.000Z');
    expect((await manager.extend(license.key, { until: '2030-01-01T00:00:00Z' })).expiresAt).toBe(
      '2030-01-01T00:00:00.000Z',
    );
    await manager.revoke(license.key, 'abuse');
    await manager.resendLicenseEmail(license.key, { actor: 'support' });
    expect(actions(await records())).toEqual([
      'created:manual:createLicense',
      'email_sent::createLicense',
      'suspended:chargeback review:ops@shop',
      'reinstated::ops@shop',
      'extended:until 2025-03-12T10:00:00.000Z:admin',
      'extended:until 2030-01-01T00:00:00.000Z:admin',
      'revoked:abuse:admin',
      'email_sent::support',
    ]);
  });

  it('admin actions on an unknown key reject with LICENSE_NOT_FOUND; repeats change nothing', async () => {
    const { manager, records } = setup(kind);
    await expect(manager.revoke('NOPE', 'x')).rejects.toSatisfy((e) =>
      isLicenseKitError(e, 'LICENSE_NOT_FOUND'),
    );
    const license = await manager.createLicense({
      email: 'b@example.com',
      customerName: 'B',
      productId: 'app',
    });
    await manager.revoke(license.key, 'first');
    expect((await manager.revoke(license.key, 'second')).statusReason).toBe('first');
    expect(actions(await records()).filter((a) => a.startsWith('revoked'))).toEqual(['revoked:first:admin']);
  });

  it('a failed email keeps the license, records email_failed, rejects MAIL_FAILED; the retry sends it once', async () => {
    const { manager, mailer, records, licenses } = setup(kind);
    mailer.failNext();
    const sale = purchaseEventFixture();
    const failure = await manager.handlePurchaseEvent(sale).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MailDeliveryError);
    expect(isLicenseKitError(failure, 'MAIL_FAILED')).toBe(true);
    const stored = (failure as MailDeliveryError).license;
    expect(stored).toMatchObject({ purchaseId: sale.purchase.saleId, deliveredAt: null });
    expect(await licenses()).toEqual([stored]);
    expect(actions(await records())).toContain('email_failed:the mailer rejected: Error:gumroad');

    const retries = await Promise.all([manager.handlePurchaseEvent(sale), manager.handlePurchaseEvent(sale)]);
    expect(retries.map((r) => r.action)).toEqual(['duplicate', 'duplicate']);
    expect(mailer.sent).toHaveLength(1);
    expect((await manager.getLicense(stored.key))?.deliveredAt).toBe('2025-03-01T10:00:00.000Z');
    await manager.handlePurchaseEvent(sale);
    expect(mailer.sent).toHaveLength(1);
    expect(await licenses()).toHaveLength(1);
  });

  it('without a mailer nothing is sent and deliveredAt stays null', async () => {
    const { manager } = setup(kind, { mailer: undefined });
    const { license } = await manager.handlePurchaseEvent(purchaseEventFixture());
    expect(license?.deliveredAt).toBeNull();
    await expect(manager.resendLicenseEmail(license!.key)).rejects.toSatisfy((e) =>
      isLicenseKitError(e, 'MAIL_FAILED'),
    );
  });

  it('a storage without the port methods is refused at construction', async () => {
    const { LicenseManager } = await import('../../src/index.js');
    expect(() => new LicenseManager({ storage: { licenses: {}, purchases: {} } as never })).toThrow(
      /licenses\.get.*purchases\.has/,
    );
  });
});
