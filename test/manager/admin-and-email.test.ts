import { afterAll, describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  defaultLicenseEmailTemplate,
  escapeHtml,
  isLicenseKitError,
  type License,
  type LicenseEmailContext,
  LicenseManager,
  MailDeliveryError,
  type Mailer,
  type MailMessage,
  memoryStorage,
  type Storage,
} from '../../src/index.js';
import { fileStorage } from '../../src/node.js';
import { fakeClock, licenseFixture, purchaseEventFixture } from '../../src/testing.js';
import { actions, setup, storageKinds } from '../helpers/manager-setup.js';
import { closeStorage, collect } from '../helpers/storage.js';
import { TempDirs } from '../helpers/temp-dir.js';

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

describe.each(storageKinds)('admin actions and email on %s storage', (kind) => {
  it('each admin action leaves an audit record with reason and actor', async () => {
    const { manager, records, clock } = setup(kind);
    const license = await manager.createLicense({
      email: 'a@example.com',
      customerName: 'A',
      productId: 'app',
      expiresInDays: 5,
    });
    const suspended = await manager.suspend(license.key, 'chargeback review', { actor: 'ops@shop' });
    expect(suspended).toMatchObject({
      key: license.key,
      status: 'suspended',
      statusReason: 'chargeback review',
    });
    expect((await manager.getLicense(license.key))?.status).toBe('suspended');
    const reinstated = await manager.reinstate(license.key, { actor: 'ops@shop' });
    expect(reinstated).toMatchObject({ key: license.key, status: 'active', statusReason: null });
    expect((await manager.getLicense(license.key))?.status).toBe('active');
    clock.advance({ days: 1 });
    const extended = await manager.extend(license.key, { days: 10 });
    expect(extended.expiresAt).toBe('2025-03-16T10:00:00.000Z'); // from the later expiry, not now
    expect((await manager.extend(license.key, { until: '2030-01-01T00:00:00Z' })).expiresAt).toBe(
      '2030-01-01T00:00:00.000Z',
    );
    expect(await manager.revoke(license.key, 'abuse')).toMatchObject({
      status: 'revoked',
      statusReason: 'abuse',
    });
    await manager.resendLicenseEmail(license.key, { actor: 'support' });
    expect(actions(await records())).toEqual([
      'created:manual:createLicense',
      'email_sent::createLicense',
      'suspended:chargeback review:ops@shop',
      'reinstated::ops@shop',
      'extended:until 2025-03-16T10:00:00.000Z:admin',
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

  it('an action whose reason or actor its record cannot hold is INVALID_INPUT and changes nothing', async () => {
    const { manager, mailer, records } = setup(kind);
    const license = await manager.createLicense({
      email: 'c@example.com',
      customerName: 'C',
      productId: 'app',
    });
    const before = (await records()).length;
    const tooLong = 'x'.repeat(2049);
    const refused = (e: unknown) => isLicenseKitError(e, 'INVALID_INPUT');
    await expect(manager.revoke(license.key, 'abuse', { actor: tooLong })).rejects.toSatisfy(refused);
    await expect(manager.suspend(license.key, tooLong)).rejects.toSatisfy(refused);
    await expect(manager.extend(license.key, { days: 1 }, { actor: tooLong })).rejects.toSatisfy(refused);
    await expect(manager.resendLicenseEmail(license.key, { actor: tooLong })).rejects.toSatisfy(refused);
    expect(await manager.getLicense(license.key)).toEqual(license);
    expect(await records()).toHaveLength(before);
    expect(mailer.sent).toHaveLength(1);
    // An actor of up to 2,048 characters is kept whole.
    await manager.revoke(license.key, 'abuse', { actor: 'x'.repeat(2048) });
    expect(actions(await records()).at(-1)).toBe(`revoked:abuse:${'x'.repeat(2048)}`);
  });

  it('extend by days leaves a perpetual license perpetual; until gives it that expiry', async () => {
    const { manager, records } = setup(kind);
    const license = await manager.createLicense({
      email: 'p@example.com',
      customerName: 'P',
      productId: 'app',
    });
    expect(license.expiresAt).toBeNull();
    expect(await manager.extend(license.key, { days: 30 })).toEqual(license);
    expect(actions(await records()).filter((a) => a.startsWith('extended'))).toEqual([]);
    const dated = await manager.extend(license.key, { until: '2030-01-01T00:00:00Z' });
    expect(dated.expiresAt).toBe('2030-01-01T00:00:00.000Z');
    expect(actions(await records()).filter((a) => a.startsWith('extended'))).toEqual([
      'extended:until 2030-01-01T00:00:00.000Z:admin',
    ]);
  });

  it('extend rejects bad input through its promise, as every action does', async () => {
    const { manager } = setup(kind);
    const license = await manager.createLicense({
      email: 'd@example.com',
      customerName: 'D',
      productId: 'app',
    });
    const bad = [
      { days: 0 },
      { days: Number.NaN },
      { days: 1e9 }, // beyond what a Date holds
      { days: true as unknown as number },
      { days: '30' as unknown as number },
      { until: 'soon' },
      { until: '2030-13-01T00:00:00Z' },
    ];
    for (const by of bad) {
      const pending = manager.extend(license.key, by);
      await expect(pending).rejects.toSatisfy((e) => isLicenseKitError(e, 'INVALID_INPUT'));
    }
    expect(await manager.getLicense(license.key)).toEqual(license);
  });

  it('extend until the expiry a license has changes nothing and records nothing', async () => {
    const { manager, records } = setup(kind);
    const license = await manager.createLicense({
      email: 'u@example.com',
      customerName: 'U',
      productId: 'app',
      expiresAt: '2026-01-01T00:00:00.000Z',
    });
    expect(await manager.extend(license.key, { until: '2026-01-01T00:00:00Z' })).toEqual(license);
    expect(await manager.extend(license.key, { until: new Date('2026-01-01T00:00:00Z') })).toEqual(license);
    expect(actions(await records()).filter((a) => a.startsWith('extended'))).toEqual([]);
  });

  it('the detail of a refused validation leaves out the status reason, an admin note for the server', async () => {
    const { manager } = setup(kind);
    const { key } = await manager.createLicense({
      email: 'r@example.com',
      customerName: 'R',
      productId: 'app',
    });
    const note = 'fraud: card stolen from jane@example.org, case #88412';
    await manager.suspend(key, note);
    expect(await manager.validate(key)).toMatchObject({
      code: 'SUSPENDED',
      detail: 'the license is suspended',
      license: { statusReason: note },
    });
    await manager.revoke(key, note);
    const revoked = await manager.validate(key);
    expect(revoked).toMatchObject({ code: 'REVOKED', detail: 'the license was revoked' });
    expect(JSON.stringify({ detail: revoked.detail })).not.toContain('jane');
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
    expect(actions(await records())).toContain('email_failed:the email was not sent: Error:gumroad');

    const retries = await Promise.all([manager.handlePurchaseEvent(sale), manager.handlePurchaseEvent(sale)]);
    expect(retries.map((r) => r.action)).toEqual(['duplicate', 'duplicate']);
    expect(mailer.sent).toHaveLength(1);
    expect((await manager.getLicense(stored.key))?.deliveredAt).toBe('2025-03-01T10:00:00.000Z');
    await manager.handlePurchaseEvent(sale);
    expect(mailer.sent).toHaveLength(1);
    expect(await licenses()).toHaveLength(1);
  });

  it('resendLicenseEmail sends one more email, to the license’s address, with its key', async () => {
    const { manager, mailer, records } = setup(kind);
    const license = await manager.createLicense({
      email: 'Resend@Example.com',
      customerName: 'R',
      productId: 'app',
    });
    expect(mailer.sent).toHaveLength(1);
    const resent = await manager.resendLicenseEmail(license.key.toLowerCase(), { actor: 'support' });
    expect(resent.key).toBe(license.key);
    expect(mailer.sent).toHaveLength(2);
    const last = mailer.sent.at(-1)!;
    expect(last.to).toBe('resend@example.com');
    expect(last.text.split('\n')).toContain(license.key);
    expect(last.html).toContain(license.key);
    // The same email again: nothing in it depends on the earlier delivery.
    expect(last).toStrictEqual(mailer.sent[0]);
    expect(actions(await records())).toEqual([
      'created:manual:createLicense',
      'email_sent::createLicense',
      'email_sent::support',
    ]);
  });

  it('a hostile customer or product name reaches the email HTML escaped, never as markup', async () => {
    const { manager, mailer } = setup(kind);
    const hostile = '<script>alert(1)</script> & "x"';
    const escaped = '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;';
    expect(escapeHtml(hostile)).toBe(escaped);
    const license = await manager.createLicense({
      email: 'h@example.com',
      customerName: hostile,
      productId: 'app',
    });
    expect(license.customerName).toBe(hostile);
    const sale = purchaseEventFixture({ purchase: { customerName: 'Eve', productName: hostile } });
    await manager.handlePurchaseEvent(sale);

    expect(mailer.sent.map((message) => message.to)).toEqual(['h@example.com', sale.purchase.email]);
    const [manual, webhook] = mailer.sent as [MailMessage, MailMessage];
    expect(manual.html).toContain(`<p>Hi ${escaped},</p>`);
    expect(webhook.html).toContain(`<strong>${escaped}</strong>`);
    for (const { html } of mailer.sent) {
      expect(html).not.toContain(hostile);
      expect(html).not.toMatch(/<script|<\/script/i);
    }
    // Plain text is not HTML: it carries the name as typed.
    expect(manual.text.split('\n')[0]).toBe(`Hi ${hostile},`);
  });

  it('emailTemplate replaces the default email for every send', async () => {
    const contexts: LicenseEmailContext[] = [];
    const { manager, mailer } = setup(kind, {
      emailTemplate: (context) => {
        contexts.push(context);
        return {
          subject: `Key for ${context.productName}`,
          text: `key=${context.license.key}`,
          from: 'shop@example.com',
          replyTo: 'help@example.com',
        };
      },
    });
    const manual = await manager.createLicense({
      email: 'c@example.com',
      customerName: 'C',
      productId: 'app',
    });
    const sale = purchaseEventFixture({ purchase: { productName: 'App Deluxe' } });
    const { license: sold } = await manager.handlePurchaseEvent(sale);
    await manager.resendLicenseEmail(manual.key);

    const email = (to: string, subject: string, key: string): MailMessage => ({
      to,
      subject,
      text: `key=${key}`,
      from: 'shop@example.com',
      replyTo: 'help@example.com',
    });
    // No html: nothing of the default template is left.
    expect(mailer.sent).toStrictEqual([
      email('c@example.com', 'Key for app', manual.key),
      email(sale.purchase.email, 'Key for App Deluxe', sold!.key),
      email('c@example.com', 'Key for app', manual.key),
    ]);
    expect(contexts.map((context) => [context.license.key, context.purchase])).toEqual([
      [manual.key, null],
      [sold!.key, sale.purchase],
      [manual.key, null],
    ]);
  });

  // A template's subject, from and reply-to are mail headers: line breaks there would inject more.
  it('a custom template’s header fields lose their line breaks before they reach the mailer', async () => {
    const { manager, mailer } = setup(kind, {
      emailTemplate: ({ license }) => ({
        subject: 'Your key\r\nBcc: victim@example.com\nX-Evil: 1',
        text: license.key,
        from: 'shop@example.com\r\nBcc: a@example.com',
        replyTo: 'help@example.com\nX-Evil: 2',
      }),
    });
    await manager.createLicense({ email: 'd@example.com', customerName: 'D', productId: 'app' });
    expect(mailer.sent).toHaveLength(1);
    const [sent] = mailer.sent;
    for (const header of [sent!.subject, sent!.from, sent!.replyTo]) expect(header).not.toMatch(/[\r\n]/);
    expect(sent!.subject).toContain('Your key');
  });

  it('a template that throws leaves the license undelivered and records email_failed; the retry sends it', async () => {
    let calls = 0;
    const { manager, mailer, records, licenses } = setup(kind, {
      emailTemplate: (context) => {
        calls += 1;
        if (calls === 1) throw new Error('template bug');
        return defaultLicenseEmailTemplate(context);
      },
    });
    const sale = purchaseEventFixture();
    await expect(manager.handlePurchaseEvent(sale)).rejects.toSatisfy((e) =>
      isLicenseKitError(e, 'MAIL_FAILED'),
    );
    expect((await licenses())[0]?.deliveredAt).toBeNull();
    expect(actions(await records())).toContain('email_failed:the email was not sent: Error:gumroad');
    expect((await manager.handlePurchaseEvent(sale)).action).toBe('duplicate');
    expect(mailer.sent).toHaveLength(1);
    expect((await licenses())[0]?.deliveredAt).not.toBeNull();
  });

  it('a license whose email is not one address is never handed to the mailer', async () => {
    const { manager, mailer, storage, records } = setup(kind);
    for (const email of ['a@example.com\r\nbcc: all@evil.example', 'a@example.com, victim@example.org']) {
      const { license } = await storage.licenses.insert(licenseFixture({ email, deliveredAt: null }));
      const failure = await manager.resendLicenseEmail(license.key).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(MailDeliveryError);
      expect((await manager.getLicense(license.key))?.deliveredAt).toBeNull();
    }
    expect(mailer.sent).toEqual([]);
    expect(actions(await records())).toEqual([
      'email_failed:the email was not sent: LicenseKitError: INVALID_INPUT:admin',
      'email_failed:the email was not sent: LicenseKitError: INVALID_INPUT:admin',
    ]);
  });

  it('resendLicenseEmail names the product as the sale’s email did', async () => {
    const { manager, mailer } = setup(kind);
    const sale = purchaseEventFixture({ purchase: { productId: 'iw', productName: 'Image Weaver Pro' } });
    const { license } = await manager.handlePurchaseEvent(sale);
    await manager.resendLicenseEmail(license!.key);
    expect(mailer.sent.map((sent) => sent.subject)).toEqual([
      'Your license key for Image Weaver Pro',
      'Your license key for Image Weaver Pro',
    ]);
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

describe.each(storageKinds)('the license email on %s storage', (kind) => {
  /** What a second reader of the storage saw while the mailer was sending. */
  interface SeenAtSend {
    to: string;
    licenses: License[];
    records: AuditRecord[];
  }

  /**
   * A manager whose mailer, on each send, reads the storage through a second view: on files, a
   * second fileStorage on the same directory (without reconciling, which would add a missing
   * `created` record itself), so only what is on disk counts.
   */
  async function durableSetup() {
    const seen: SeenAtSend[] = [];
    let storage: Storage;
    let view: () => Storage;
    if (kind === 'memory') {
      storage = memoryStorage();
      view = () => storage;
    } else {
      const dir = await dirs.make('durable-mail');
      storage = fileStorage({ dir });
      view = () => fileStorage({ dir, reconcileOnOpen: false });
    }
    const mailer: Mailer = {
      async send(message) {
        const reader = view();
        try {
          seen.push({
            to: message.to,
            licenses: await collect(reader.licenses.list()),
            records: await collect(reader.purchases.scan()),
          });
        } finally {
          if (reader !== storage) await closeStorage(reader);
        }
      },
    };
    const manager = new LicenseManager({ storage, mailer, clock: fakeClock('2025-03-01T10:00:00.000Z') });
    return { manager, seen };
  }

  it('is sent only once the license and its created record are stored', async () => {
    const { manager, seen } = await durableSetup();
    try {
      const manual = await manager.createLicense({
        email: 'm@example.com',
        customerName: 'M',
        productId: 'app',
      });
      expect(seen).toHaveLength(1);
      expect(seen[0]!.to).toBe('m@example.com');
      // The stored license is the one returned, already claimed for this send.
      expect(seen[0]!.licenses).toEqual([manual]);
      expect(actions(seen[0]!.records)).toEqual(['created:manual:createLicense']);
      expect(seen[0]!.records[0]).toMatchObject({
        kind: 'license',
        action: 'created',
        licenseKey: manual.key,
      });

      const sale = purchaseEventFixture();
      const { license: sold } = await manager.handlePurchaseEvent(sale);
      expect(seen).toHaveLength(2);
      expect(seen[1]!.to).toBe(sale.purchase.email);
      expect(seen[1]!.licenses).toEqual([manual, sold]);
      // Before the email: the sale's created record and its purchase record (in either order).
      const named = seen[1]!.records
        .slice(2)
        .map((r) => `${r.kind === 'license' ? r.action : r.event.eventId}:${r.licenseKey}`);
      expect(named.sort()).toEqual([`created:${sold!.key}`, `${sale.eventId}:${sold!.key}`].sort());
    } finally {
      await manager.close();
    }
  });
});
