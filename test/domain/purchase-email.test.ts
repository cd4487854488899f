import { describe, expect, it } from 'vitest';
import {
  createWebhookHandler,
  isLicenseKitError,
  LicenseManager,
  memoryStorage,
  normalizeGumroadPing,
  normalizePaddleEvent,
  normalizePayPalEvent,
  paddle,
  parsePurchaseEvent,
} from '../../src/index.js';
import {
  gumroadSaleFields,
  memoryMailer,
  paddleTransactionCompletedEvent,
  paddleWebhookRequest,
  paypalCaptureCompletedEvent,
  purchaseEventFixture,
} from '../../src/testing.js';

/** Emails a buyer could type to add recipients or mail headers to the license email. */
const hostile = [
  'ada@example.com\r\nbcc: everyone@evil.example',
  'ada@example.com\nX-Evil: 1',
  'ada@example.com, victim@example.org',
  'ada@example.com;victim@example.org',
  'Ada <ada@example.com>',
  'ada @example.com',
];

const refused = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return isLicenseKitError(error);
  }
  return false;
};

describe('a purchase’s email is one address', () => {
  it('parsePurchaseEvent refuses an email that would add recipients or headers, and keeps an empty one', () => {
    for (const email of hostile) {
      expect(
        refused(() => parsePurchaseEvent(purchaseEventFixture({ purchase: { email } }))),
        email,
      ).toBe(true);
    }
    for (const email of ['', 'ada@example.com', 'a.b+tag@sub.example.co.uk']) {
      expect(parsePurchaseEvent(purchaseEventFixture({ purchase: { email } })).purchase.email).toBe(email);
    }
  });

  it('every store normalizer that reads a buyer-typed email refuses one that is not one address', () => {
    for (const email of hostile) {
      const paddleEvent = paddleTransactionCompletedEvent({ email, productId: 'pro_1' });
      expect(
        refused(() => normalizePaddleEvent(paddleEvent)),
        `paddle ${email}`,
      ).toBe(true);
      expect(
        refused(() => normalizePaddleEvent(paddleEvent, { customerEmail: email })),
        email,
      ).toBe(true);
      const gumroad = gumroadSaleFields({ email, productId: 'app' });
      expect(
        refused(() => normalizeGumroadPing(gumroad)),
        `gumroad ${email}`,
      ).toBe(true);
      const paypal = paypalCaptureCompletedEvent({ email, productId: 'app' });
      expect(
        refused(() => normalizePayPalEvent(paypal)),
        `paypal ${email}`,
      ).toBe(true);
    }
  });

  it('a Paddle checkout whose custom_data.email lists two addresses is a 400, and no license or email follows', async () => {
    const now = new Date('2025-03-01T10:00:00.000Z');
    const mailer = memoryMailer();
    const storage = memoryStorage();
    const manager = new LicenseManager({ storage, mailer, clock: () => now });
    const secret = 'pdl_ntfset_email_test';
    const handle = createWebhookHandler({ provider: paddle({ secret, clock: () => now }), manager });
    const event = paddleTransactionCompletedEvent({
      email: 'ada@example.com, victim@example.org',
      productId: 'pro_1',
      occurredAt: now,
    });
    const response = await handle(await paddleWebhookRequest(event, secret, { timestamp: now }));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: 'NORMALIZATION_FAILED',
      issues: [{ path: 'data.custom_data.email', message: 'expected one email address' }],
    });
    expect(mailer.sent).toEqual([]);
    for await (const _ of storage.licenses.list()) throw new Error('no license may be stored');
  });
});
