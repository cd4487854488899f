import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLicenseKitError, NormalizationError } from '../../src/domain/errors.js';
import {
  normalizeLemonSqueezyEvent,
  safeNormalizeLemonSqueezyEvent,
} from '../../src/normalizers/lemon-squeezy.js';
import { verifyLemonSqueezySignature } from '../../src/webhooks/lemon-squeezy-signature.js';
import { lemonSqueezy } from '../../src/webhooks/providers/lemon-squeezy.js';
import { assertOnlyVerificationErrors, verificationRejection } from './_signature-cases.js';

const secret = 'ls-signing-secret-42';
const sign = (body: string | Uint8Array, key = secret) =>
  createHmac('sha256', key).update(body).digest('hex');

const buyer = {
  store_id: 11,
  customer_id: 901,
  user_name: 'Ada Buyer',
  user_email: ' Ada@Example.com ',
  created_at: '2025-03-01T09:00:00.000000Z',
  updated_at: '2025-03-01T09:00:05.000000Z',
  test_mode: false,
};

/** A webhook body in Lemon Squeezy's JSON:API shape, written from the documented attributes. */
function body(eventName: string, type: string, id: string, attributes: Record<string, unknown>) {
  return {
    meta: { event_name: eventName, custom_data: { user_id: 'u-1' } },
    data: {
      type,
      id,
      attributes,
      relationships: {},
      links: { self: `https://api.lemonsqueezy.com/v1/${type}/${id}` },
    },
  };
}

const order = (overrides: Record<string, unknown> = {}) => ({
  ...buyer,
  identifier: '3b5c9c7e-0000-4000-8000-000000000001',
  order_number: 1001,
  currency: 'USD',
  currency_rate: '1.0000',
  subtotal: 2900,
  discount_total: 0,
  tax: 0,
  total: 2900,
  status: 'paid',
  status_formatted: 'Paid',
  refunded: false,
  refunded_at: null,
  refunded_amount: 0,
  total_formatted: '$29.00',
  first_order_item: {
    id: 7001,
    order_id: 5001,
    product_id: 301,
    variant_id: 401,
    product_name: 'App',
    variant_name: 'Pro',
    price: 2900,
    quantity: 2,
    test_mode: false,
  },
  ...overrides,
});

const subscription = {
  ...buyer,
  order_id: 5001,
  order_item_id: 7001,
  product_id: 301,
  variant_id: 401,
  product_name: 'App',
  variant_name: 'Pro',
  status: 'cancelled',
  cancelled: true,
  renews_at: '2025-04-01T09:00:00.000000Z',
  ends_at: '2025-04-01T09:00:00.000000Z',
};

const subscriptionInvoice = (billingReason: string) => ({
  ...buyer,
  subscription_id: 6001,
  billing_reason: billingReason,
  currency: 'USD',
  currency_rate: '1.00000000',
  status: 'paid',
  refunded: false,
  refunded_at: null,
  subtotal: 900,
  discount_total: 0,
  tax: 0,
  total: 900,
  refunded_amount: 0,
});

const orderCreated = body('order_created', 'orders', '5001', order());
const orderRefunded = body(
  'order_refunded',
  'orders',
  '5001',
  order({
    status: 'refunded',
    refunded: true,
    refunded_amount: 2900,
    refunded_at: '2025-03-02T12:00:00.000000Z',
    updated_at: '2025-03-02T12:00:00.000000Z',
  }),
);

function request(raw: string, signature: string | null = sign(raw)): Request {
  const headers = new Headers({ 'content-type': 'application/json', 'x-event-name': 'order_created' });
  if (signature !== null) headers.set('x-signature', signature);
  return new Request('https://example.com/webhooks/lemonsqueezy', { method: 'POST', headers, body: raw });
}

const rejection = verificationRejection(secret);

describe('verifyLemonSqueezySignature', () => {
  const raw = JSON.stringify(orderCreated);
  const verify = (options: Partial<Parameters<typeof verifyLemonSqueezySignature>[0]> = {}) =>
    verifyLemonSqueezySignature({ payload: raw, signature: sign(raw), secret, ...options });

  it('passes the self-computed vector from the research notes', async () => {
    await expect(
      verifyLemonSqueezySignature({
        payload: '{"meta":{"event_name":"order_created"},"data":{"type":"orders","id":"1"}}',
        signature: '73c0a97b87e7bc274501f73f1fcf0ac995b5651ecda12cd02db72380480fb29d',
        secret: 'lssecret123',
      }),
    ).resolves.toBeUndefined();
  });

  it('accepts the raw body as a string or bytes', async () => {
    await expect(verify()).resolves.toBeUndefined();
    await expect(verify({ payload: new TextEncoder().encode(raw) })).resolves.toBeUndefined();
  });

  it('rejects one flipped byte and re-serialized JSON', async () => {
    const bytes = new TextEncoder().encode(raw);
    bytes[5] = (bytes[5] ?? 0) ^ 0x20;
    await rejection(verify({ payload: bytes }));
    await rejection(verify({ payload: JSON.stringify(orderCreated, null, 1) }));
  });

  it.each([
    ['short', 'abc'],
    ['one char too long', `${sign(raw)}f`],
    ['not hex', 'x'.repeat(64)],
  ])('rejects a %s signature with WebhookVerificationError', async (_, signature) => {
    expect((await rejection(verify({ signature }))).code).toBe('WEBHOOK_UNAUTHORIZED');
  });

  it('rejects a missing header', async () => {
    await rejection(verify({ signature: null }));
    await rejection(verify({ signature: '' }));
  });

  it('rejects any signature or body with WebhookVerificationError only', async () => {
    await assertOnlyVerificationErrors(
      fc.string({ maxLength: 100 }),
      (signature, payload) => verify({ signature, payload }),
      { alwaysRejects: true },
    );
  });

  it('accepts any of several secrets (rotation)', async () => {
    await expect(verify({ secret: ['new-secret', secret] })).resolves.toBeUndefined();
    await rejection(verify({ secret: ['new-secret', 'newer-secret'] }));
  });

  it('refuses a parsed object as payload with a clear message', async () => {
    const error = await rejection(verify({ payload: orderCreated as unknown as string }));
    expect(error.message).toMatch(/raw request body/);
  });
});

describe('normalizeLemonSqueezyEvent', () => {
  it('order_created (paid) is a sale keyed by the order id', () => {
    expect(normalizeLemonSqueezyEvent(orderCreated)).toEqual({
      type: 'sale',
      eventId: 'lemonsqueezy:order_created:5001:2025-03-01T09:00:05.000000Z',
      occurredAt: '2025-03-01T09:00:05.000000Z',
      purchase: {
        source: 'lemonsqueezy',
        saleId: '5001',
        email: 'ada@example.com',
        customerName: 'Ada Buyer',
        customerId: '901',
        productId: '301',
        productName: 'App',
        tier: 'Pro',
        amount: 2900,
        currency: 'USD',
        quantity: 2,
        purchasedAt: '2025-03-01T09:00:00.000000Z',
        isTest: false,
        isRecurring: false,
        subscriptionId: null,
        sourceLicenseKey: null,
      },
    });
  });

  it('a pending order issues nothing; test mode is marked', () => {
    expect(
      normalizeLemonSqueezyEvent(body('order_created', 'orders', '5002', order({ status: 'pending' }))),
    ).toBeNull();
    const test = { ...orderCreated, meta: { ...orderCreated.meta, test_mode: true } };
    expect(normalizeLemonSqueezyEvent(test)?.purchase.isTest).toBe(true);
  });

  it('order_refunded: full and partial', () => {
    expect(normalizeLemonSqueezyEvent(orderRefunded)).toMatchObject({
      type: 'refund',
      occurredAt: '2025-03-02T12:00:00.000000Z',
      purchase: { saleId: '5001', amount: 2900 },
    });
    const partial = body(
      'order_refunded',
      'orders',
      '5001',
      order({ status: 'partial_refund', refunded: false, refunded_amount: 900 }),
    );
    expect(normalizeLemonSqueezyEvent(partial)).toMatchObject({
      type: 'partial_refund',
      purchase: { amount: 900 },
    });
  });

  it('subscription_payment_success is a renewal only for billing_reason renewal', () => {
    const renewal = normalizeLemonSqueezyEvent(
      body('subscription_payment_success', 'subscription-invoices', '8001', subscriptionInvoice('renewal')),
    );
    expect(renewal).toMatchObject({
      type: 'renewal',
      purchase: { saleId: '6001', subscriptionId: '6001', amount: 900, isRecurring: true },
    });
    const initial = body(
      'subscription_payment_success',
      'subscription-invoices',
      '8000',
      subscriptionInvoice('initial'),
    );
    expect(normalizeLemonSqueezyEvent(initial)).toBeNull();
  });

  it('subscription_cancelled is a cancellation, subscription_expired ends it', () => {
    const cancelled = normalizeLemonSqueezyEvent(
      body('subscription_cancelled', 'subscriptions', '6001', subscription),
    );
    expect(cancelled).toMatchObject({
      type: 'cancellation',
      purchase: { saleId: '5001', subscriptionId: '6001', amount: 0, currency: 'XXX' },
    });
    const expired = normalizeLemonSqueezyEvent(
      body('subscription_expired', 'subscriptions', '6001', { ...subscription, status: 'expired' }),
    );
    expect(expired?.type).toBe('subscription_ended');
  });

  it('subscription_created names the order and the subscription, so the two can be linked', () => {
    const started = {
      ...subscription,
      status: 'active',
      cancelled: false,
      ends_at: null,
      first_subscription_item: { id: 9001, subscription_id: 6001, price_id: 501, quantity: 3 },
    };
    expect(
      normalizeLemonSqueezyEvent(body('subscription_created', 'subscriptions', '6001', started)),
    ).toEqual({
      type: 'subscription_created',
      eventId: 'lemonsqueezy:subscription_created:6001:2025-03-01T09:00:05.000000Z',
      occurredAt: '2025-03-01T09:00:05.000000Z',
      purchase: {
        source: 'lemonsqueezy',
        saleId: '5001',
        email: 'ada@example.com',
        customerName: 'Ada Buyer',
        customerId: '901',
        productId: '301',
        productName: 'App',
        tier: 'Pro',
        amount: 0,
        currency: 'XXX',
        quantity: 3,
        purchasedAt: '2025-03-01T09:00:00.000000Z',
        isTest: false,
        isRecurring: true,
        subscriptionId: '6001',
        sourceLicenseKey: null,
      },
    });
    const withoutItem = normalizeLemonSqueezyEvent(
      body('subscription_created', 'subscriptions', '6001', subscription),
    );
    expect(withoutItem?.purchase.quantity).toBe(1);
  });

  it('keeps zero- and three-decimal currencies in minor units', () => {
    const yen = body('order_created', 'orders', '5003', order({ currency: 'jpy', total: 1500 }));
    expect(normalizeLemonSqueezyEvent(yen)?.purchase).toMatchObject({ amount: 1500, currency: 'JPY' });
    const dinar = body('order_created', 'orders', '5004', order({ currency: 'KWD', total: 12_345 }));
    expect(normalizeLemonSqueezyEvent(dinar)?.purchase).toMatchObject({ amount: 12_345, currency: 'KWD' });
  });

  it('the derived event id is stable per delivery and differs per change', () => {
    const again = normalizeLemonSqueezyEvent(structuredClone(orderCreated));
    expect(again?.eventId).toBe(normalizeLemonSqueezyEvent(orderCreated)?.eventId);
    expect(normalizeLemonSqueezyEvent(orderRefunded)?.eventId).not.toBe(again?.eventId);
  });

  it('other events are null; a malformed known event is a NormalizationError', () => {
    expect(normalizeLemonSqueezyEvent(body('license_key_created', 'license-keys', '1', {}))).toBeNull();
    const broken = safeNormalizeLemonSqueezyEvent(body('order_created', 'orders', '1', { total: 'lots' }));
    expect(broken.success).toBe(false);
    if (!broken.success) expect(broken.error).toBeInstanceOf(NormalizationError);
    expect(() => normalizeLemonSqueezyEvent([])).toThrow(NormalizationError);
  });
});

describe('lemonSqueezy() provider', () => {
  const provider = lemonSqueezy({ signingSecret: secret });
  const fixtures: [string, unknown, string | null][] = [
    ['order_created', orderCreated, 'sale'],
    ['order_refunded', orderRefunded, 'refund'],
    [
      'subscription_payment_success',
      body('subscription_payment_success', 'subscription-invoices', '8001', subscriptionInvoice('renewal')),
      'renewal',
    ],
    [
      'subscription_cancelled',
      body('subscription_cancelled', 'subscriptions', '6001', subscription),
      'cancellation',
    ],
    [
      'subscription_expired',
      body('subscription_expired', 'subscriptions', '6001', subscription),
      'subscription_ended',
    ],
    [
      'subscription_created',
      body('subscription_created', 'subscriptions', '6001', subscription),
      'subscription_created',
    ],
    ['subscription_updated', body('subscription_updated', 'subscriptions', '6001', subscription), null],
  ];

  it.each(fixtures)('parses a signed %s', async (_, payload, type) => {
    const parsed = await provider.parse(request(JSON.stringify(payload)));
    expect(parsed?.type ?? null).toBe(type);
    if (parsed) expect(parsed.purchase.source).toBe(provider.id);
  });

  it('verifies before parsing and rejects tampered or unsigned bodies', async () => {
    const raw = JSON.stringify(orderCreated);
    await rejection(provider.parse(request(raw, null)));
    await rejection(provider.parse(request(raw.replace('2900', '2901'), sign(raw))));
    await rejection(provider.parse(request('not json', sign('not json', 'other'))));
    const error = await provider.parse(request('not json')).catch((caught: unknown) => caught);
    expect(isLicenseKitError(error, 'NORMALIZATION_FAILED')).toBe(true);
  });

  it('accepts rotated secrets and refuses a missing one at construction', async () => {
    const rotated = lemonSqueezy({ signingSecret: ['new-secret', secret] });
    expect((await rotated.parse(request(JSON.stringify(orderCreated))))?.type).toBe('sale');
    expect(() => lemonSqueezy({ signingSecret: '' })).toThrow(/signingSecret/);
  });
});
