import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { isLicenseKitError, NormalizationError } from '../../src/domain/errors.js';
import { normalizePaddleEvent, safeNormalizePaddleEvent } from '../../src/normalizers/paddle.js';
import { verifyPaddleSignature } from '../../src/webhooks/paddle-signature.js';
import { paddle } from '../../src/webhooks/providers/paddle.js';
import { assertOnlyVerificationErrors, verificationRejection } from './_signature-cases.js';

const secret = 'pdl_ntfset_01TESTSECRET_licensekit';
const now = new Date('2025-03-01T10:00:00.000Z');
const nowSeconds = now.getTime() / 1000;

/** Paddle's scheme, computed with node:crypto as an independent oracle. */
const sign = (body: string, ts = nowSeconds, key = secret) =>
  createHmac('sha256', key).update(`${ts}:${body}`).digest('hex');
const header = (body: string, ts = nowSeconds, key = secret) => `ts=${ts};h1=${sign(body, ts, key)}`;

/** A notification written from the documented fields of Paddle Billing's entities. */
function notification(
  eventType: string,
  data: Record<string, unknown>,
  eventId = `evt_${eventType.replace('.', '_')}`,
) {
  return {
    event_id: eventId,
    event_type: eventType,
    occurred_at: '2025-03-01T10:00:00.123456Z',
    notification_id: 'ntf_01TEST',
    data,
  };
}

const item = {
  price: {
    id: 'pri_01PRO',
    product_id: 'pro_01APP',
    name: 'Pro yearly',
    unit_price: { amount: '4900', currency_code: 'USD' },
  },
  product: { id: 'pro_01APP', name: 'App' },
  quantity: 1,
};

function transaction(overrides: Record<string, unknown> = {}, totals: Record<string, string> = {}) {
  return {
    id: 'txn_01A',
    status: 'completed',
    customer_id: 'ctm_01A',
    address_id: 'add_01A',
    business_id: null,
    custom_data: { email: ' Ada@Example.com ', name: 'Ada Buyer' },
    currency_code: 'USD',
    origin: 'web',
    subscription_id: null,
    invoice_id: 'inv_01A',
    collection_mode: 'automatic',
    billed_at: '2025-03-01T09:59:58.654321Z',
    created_at: '2025-03-01T09:59:00.000000Z',
    items: [item],
    details: {
      totals: {
        subtotal: '4900',
        tax: '0',
        discount: '0',
        total: '4900',
        grand_total: '4900',
        currency_code: 'USD',
        ...totals,
      },
      line_items: [
        { id: 'txnitm_01A', price_id: 'pri_01PRO', quantity: 1, product: { id: 'pro_01APP', name: 'App' } },
      ],
    },
    payments: [{ amount: '4900', status: 'captured' }],
    ...overrides,
  };
}

const adjustment = (overrides: Record<string, unknown> = {}) => ({
  id: 'adj_01A',
  action: 'refund',
  type: 'full',
  status: 'approved',
  reason: 'requested by customer',
  transaction_id: 'txn_01A',
  subscription_id: null,
  customer_id: 'ctm_01A',
  currency_code: 'USD',
  totals: { subtotal: '4900', tax: '0', total: '4900', fee: '0', earnings: '0', currency_code: 'USD' },
  items: [{ id: 'adjitm_01A', item_id: 'txnitm_01A', type: 'full', amount: '4900' }],
  created_at: '2025-03-01T10:00:00.000000Z',
  updated_at: '2025-03-01T10:00:00.000000Z',
  ...overrides,
});

const canceled = {
  id: 'sub_01A',
  status: 'canceled',
  customer_id: 'ctm_01A',
  custom_data: null,
  currency_code: 'EUR',
  canceled_at: '2025-03-01T10:00:00.000000Z',
  next_billed_at: null,
  current_billing_period: null,
  scheduled_change: null,
  items: [{ ...item, status: 'active', recurring: true }],
};

function request(body: string, signature: string | null = header(body)): Request {
  const headers = new Headers({ 'content-type': 'application/json' });
  if (signature !== null) headers.set('paddle-signature', signature);
  return new Request('https://example.com/webhooks/paddle', { method: 'POST', headers, body });
}

const rejection = verificationRejection(secret);

describe('Paddle SDK vector (paddle-node-sdk webhooks-validator.node.test.ts)', () => {
  const body = '{"data": ["1", "2"]}';
  const vector = 'ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9';
  const at = (time: string) => new Date(time);
  const verify = (options: Partial<Parameters<typeof verifyPaddleSignature>[0]>) =>
    verifyPaddleSignature({ payload: body, header: vector, secret: 'VALID_SECRET', ...options });

  it.each([
    ['2023-11-01T00:00:00Z', true],
    ['2023-11-01T00:00:01Z', true],
    ['2023-11-01T00:00:05Z', true],
    ['2023-11-01T00:00:06Z', false],
    ['2023-11-05T00:00:00Z', false],
    // The receiving clock behind Paddle's: the SDKs accept these (their check is one-sided).
    ['2023-10-31T23:59:50Z', true],
    ['2023-10-31T23:55:00Z', true],
    ['2023-10-31T23:54:59Z', false],
  ])('at %s valid=%s', async (time, valid) => {
    const result = verify({ now: at(time) });
    if (valid) await expect(result).resolves.toBeUndefined();
    else expect((await rejection(result)).code).toBe('WEBHOOK_TIMESTAMP_OUT_OF_RANGE');
  });

  it('multiple h1 plus an unknown h2', async () => {
    const multi =
      'ts=1698796800;h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261;h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261;h2=RANDOM_HASH';
    await expect(
      verify({ payload: '{"data": "value"}', header: multi, now: at('2023-11-01T00:00:00Z') }),
    ).resolves.toBeUndefined();
  });

  it.each([
    ['an invalid secret', { secret: 'INVALID_VALID_SECRET' }],
    [
      'an invalid timestamp',
      { header: 'ts=9876;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9' },
    ],
    ['more spaces in the body', { payload: '{ "data": [ "1", "2" ]}' }],
    ['an invalid signature', { header: 'ts=1234;h1=invalid_signature' }],
    ['no ts and no h1', { header: 'invalid_header' }],
    ['no ts', { header: 'h1=invalid_header' }],
    ['no h1', { header: 'ts=1234;h2=invalid_header' }],
  ])('rejects %s', async (_, options) => {
    await rejection(verify({ now: at('2023-11-01T00:00:00Z'), ...options }));
  });
});

describe('verifyPaddleSignature', () => {
  const body = JSON.stringify(notification('transaction.completed', transaction()));
  const verify = (options: Partial<Parameters<typeof verifyPaddleSignature>[0]> = {}) =>
    verifyPaddleSignature({ payload: body, header: header(body), secret, now, ...options });

  it('accepts bytes, rejects a flipped byte and re-serialized JSON', async () => {
    const bytes = new TextEncoder().encode(body);
    await expect(verify({ payload: bytes })).resolves.toBeUndefined();
    const flipped = bytes.slice();
    flipped[20] = (flipped[20] ?? 0) ^ 0x01;
    await rejection(verify({ payload: flipped }));
    await rejection(verify({ payload: JSON.stringify(JSON.parse(body), null, 2) }));
  });

  it('allows 5 s of age and 300 s of clock skew ahead, with a configurable tolerance', async () => {
    expect((await rejection(verify({ header: header(body, nowSeconds - 6) }))).code).toBe(
      'WEBHOOK_TIMESTAMP_OUT_OF_RANGE',
    );
    await expect(verify({ header: header(body, nowSeconds + 300) })).resolves.toBeUndefined();
    expect((await rejection(verify({ header: header(body, nowSeconds + 301) }))).code).toBe(
      'WEBHOOK_TIMESTAMP_OUT_OF_RANGE',
    );
    expect((await rejection(verify({ header: header(body, nowSeconds + 3600) }))).code).toBe(
      'WEBHOOK_TIMESTAMP_OUT_OF_RANGE',
    );
    await expect(
      verify({ header: header(body, nowSeconds + 3600), toleranceSeconds: 3600 }),
    ).resolves.toBeUndefined();
    await expect(
      verify({ header: header(body, nowSeconds - 60), toleranceSeconds: 120 }),
    ).resolves.toBeUndefined();
  });

  it.each([
    ['short', 'abc'],
    ['one char too long', `${sign(body)}0`],
    ['empty', ''],
  ])('rejects a %s signature with WebhookVerificationError', async (_, signature) => {
    expect((await rejection(verify({ header: `ts=${nowSeconds};h1=${signature}` }))).code).toBe(
      'WEBHOOK_UNAUTHORIZED',
    );
  });

  it('rejects a missing header and a parsed object', async () => {
    await rejection(verify({ header: null }));
    const error = await rejection(verify({ payload: JSON.parse(body) as unknown as string }));
    expect(error.message).toMatch(/raw request body/);
  });

  it('rejects any header or body with WebhookVerificationError only', async () => {
    const headers = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.constant(`ts=${nowSeconds};h1=`).map((h) => h + sign(body)),
    );
    await assertOnlyVerificationErrors(headers, (value, payload) => verify({ header: value, payload }));
  });

  it('accepts a second h1 and a second secret (rotation)', async () => {
    await expect(
      verify({ header: `ts=${nowSeconds};h1=${sign(body, nowSeconds, 'pdl_old')};h1=${sign(body)}` }),
    ).resolves.toBeUndefined();
    await expect(verify({ secret: ['pdl_ntfset_new', secret] })).resolves.toBeUndefined();
    await rejection(verify({ secret: ['pdl_ntfset_new'] }));
  });
});

describe('normalizePaddleEvent', () => {
  it('transaction.completed from checkout is a sale keyed by the transaction', () => {
    expect(normalizePaddleEvent(notification('transaction.completed', transaction()))).toEqual({
      type: 'sale',
      eventId: 'evt_transaction_completed',
      occurredAt: '2025-03-01T10:00:00.123456Z',
      purchase: {
        source: 'paddle',
        saleId: 'txn_01A',
        email: 'ada@example.com',
        customerName: 'Ada Buyer',
        customerId: 'ctm_01A',
        productId: 'pro_01APP',
        productName: 'App',
        tier: 'Pro yearly',
        amount: 4900,
        currency: 'USD',
        quantity: 1,
        purchasedAt: '2025-03-01T09:59:58.654321Z',
        isTest: false,
        isRecurring: false,
        subscriptionId: null,
        sourceLicenseKey: null,
      },
    });
  });

  it('a subscription_recurring transaction is a renewal; other origins are null', () => {
    const renewal = normalizePaddleEvent(
      notification(
        'transaction.completed',
        transaction({ origin: 'subscription_recurring', subscription_id: 'sub_01A' }),
      ),
    );
    expect(renewal).toMatchObject({
      type: 'renewal',
      purchase: { subscriptionId: 'sub_01A', isRecurring: true },
    });
    const change = transaction({ origin: 'subscription_payment_method_change', subscription_id: 'sub_01A' });
    expect(normalizePaddleEvent(notification('transaction.completed', change))).toBeNull();
    const odd = transaction({ origin: 'constructor' });
    expect(normalizePaddleEvent(notification('transaction.completed', odd))).toBeNull();
  });

  it('takes the email from the option first, else custom_data, else fails clearly', () => {
    const event = notification('transaction.completed', transaction());
    expect(normalizePaddleEvent(event, { customerEmail: 'Other@Example.com' })?.purchase.email).toBe(
      'other@example.com',
    );
    const bare = notification('transaction.completed', transaction({ custom_data: null }));
    const failed = safeNormalizePaddleEvent(bare);
    expect(failed.success).toBe(false);
    if (!failed.success) {
      expect(failed.error.issues[0]?.path).toBe('data.custom_data.email');
      expect(failed.error.issues[0]?.message).toMatch(/resolveCustomer/);
    }
  });

  it('turns integer-as-string amounts into minor units for JPY and KWD', () => {
    const yen = transaction({ currency_code: 'JPY' }, { total: '1500', grand_total: '1500' });
    expect(normalizePaddleEvent(notification('transaction.completed', yen))?.purchase).toMatchObject({
      amount: 1500,
      currency: 'JPY',
    });
    const dinar = transaction({ currency_code: 'kwd' }, { total: '12345', grand_total: '12000' });
    expect(normalizePaddleEvent(notification('transaction.completed', dinar))?.purchase).toMatchObject({
      amount: 12_000,
      currency: 'KWD',
    });
    const decimal = transaction({}, { total: '49.00', grand_total: '49.00' });
    expect(() => normalizePaddleEvent(notification('transaction.completed', decimal))).toThrow(
      NormalizationError,
    );
  });

  it('adjustments act only once approved: refund full/partial, chargeback', () => {
    const adjusted = (event: string, overrides: Record<string, unknown>) =>
      normalizePaddleEvent(notification(event, adjustment(overrides)));
    expect(adjusted('adjustment.created', { status: 'pending_approval' })).toBeNull();
    expect(adjusted('adjustment.updated', {})).toMatchObject({
      type: 'refund',
      eventId: 'paddle:adjustment:adj_01A',
      purchase: { saleId: 'txn_01A', amount: 4900 },
    });
    expect(adjusted('adjustment.updated', { type: 'partial', totals: { total: '1000' } })).toMatchObject({
      type: 'partial_refund',
      purchase: { amount: 1000 },
    });
    // Older payloads give the type on the items only.
    expect(adjusted('adjustment.updated', { type: undefined })?.type).toBe('refund');
    const partialItem = [{ id: 'adjitm_01A', item_id: 'txnitm_01A', type: 'partial', amount: '1000' }];
    expect(adjusted('adjustment.updated', { type: undefined, items: partialItem })?.type).toBe(
      'partial_refund',
    );
    expect(adjusted('adjustment.created', { action: 'chargeback' })?.type).toBe('dispute_lost');
    expect(adjusted('adjustment.created', { action: 'chargeback', status: 'rejected' })).toBeNull();
    expect(adjusted('adjustment.created', { action: 'chargeback_warning' })?.type).toBe('dispute');
    expect(adjusted('adjustment.created', { action: 'chargeback_reverse' })?.type).toBe('dispute_won');
    expect(adjusted('adjustment.created', { action: 'credit' })).toBeNull();
    expect(adjusted('adjustment.created', { action: 'toString' })).toBeNull();
  });

  it('subscription.canceled ends the subscription', () => {
    expect(normalizePaddleEvent(notification('subscription.canceled', canceled))).toMatchObject({
      type: 'subscription_ended',
      purchase: {
        saleId: 'sub_01A',
        subscriptionId: 'sub_01A',
        amount: 0,
        currency: 'EUR',
        productId: 'pro_01APP',
      },
    });
  });

  it('other events are null, garbage is a NormalizationError, isTest follows the option', () => {
    expect(normalizePaddleEvent(notification('subscription.updated', canceled))).toBeNull();
    expect(() => normalizePaddleEvent(42)).toThrow(NormalizationError);
    const event = notification('transaction.completed', transaction());
    expect(normalizePaddleEvent(event, { isTest: true })?.purchase.isTest).toBe(true);
  });
});

describe('paddle() provider', () => {
  const provider = paddle({ secret, clock: () => now });
  const fixtures: [string, unknown, string | null][] = [
    ['transaction.completed', notification('transaction.completed', transaction()), 'sale'],
    [
      'transaction.completed (renewal)',
      notification(
        'transaction.completed',
        transaction({ origin: 'subscription_recurring', subscription_id: 'sub_01A' }),
      ),
      'renewal',
    ],
    [
      'adjustment.created (pending)',
      notification('adjustment.created', adjustment({ status: 'pending_approval' })),
      null,
    ],
    ['adjustment.updated (approved refund)', notification('adjustment.updated', adjustment()), 'refund'],
    [
      'adjustment.created (chargeback)',
      notification('adjustment.created', adjustment({ action: 'chargeback' })),
      'dispute_lost',
    ],
    ['subscription.canceled', notification('subscription.canceled', canceled), 'subscription_ended'],
  ];

  it.each(fixtures)('parses a signed %s', async (_, payload, type) => {
    const parsed = await provider.parse(request(JSON.stringify(payload)));
    expect(parsed?.type ?? null).toBe(type);
    if (parsed) expect(parsed.purchase.source).toBe(provider.id);
  });

  it('resolves the buyer only for sales and renewals', async () => {
    const resolveCustomer = vi.fn(async (id: string) => ({ email: `${id}@Example.com`, name: 'Resolved' }));
    const resolving = paddle({ secret, resolveCustomer, clock: () => now, sandbox: true });
    const sale = await resolving.parse(
      request(JSON.stringify(notification('transaction.completed', transaction({ custom_data: null })))),
    );
    expect(sale?.purchase).toMatchObject({
      email: 'ctm_01a@example.com',
      customerName: 'Resolved',
      isTest: true,
    });
    await resolving.parse(request(JSON.stringify(notification('adjustment.updated', adjustment()))));
    expect(resolveCustomer).toHaveBeenCalledTimes(1);
    expect(resolveCustomer).toHaveBeenCalledWith('ctm_01A');
  });

  it('falls back to custom_data.email when the customer is not found', async () => {
    const resolving = paddle({ secret, resolveCustomer: async () => null, clock: () => now });
    const sale = await resolving.parse(
      request(JSON.stringify(notification('transaction.completed', transaction()))),
    );
    expect(sale?.purchase.email).toBe('ada@example.com');
  });

  it('verifies before parsing and rejects stale, unsigned or tampered deliveries', async () => {
    const body = JSON.stringify(notification('transaction.completed', transaction()));
    await rejection(provider.parse(request(body, null)));
    expect((await rejection(provider.parse(request(body, header(body, nowSeconds - 10))))).code).toBe(
      'WEBHOOK_TIMESTAMP_OUT_OF_RANGE',
    );
    await rejection(provider.parse(request(body.replace('4900', '4901'), header(body))));
    await rejection(provider.parse(request('{', header('{', nowSeconds, 'pdl_other'))));
    const error = await provider.parse(request('{')).catch((caught: unknown) => caught);
    expect(isLicenseKitError(error, 'NORMALIZATION_FAILED')).toBe(true);
  });

  it('accepts rotated secrets and a wider tolerance; refuses a bad secret at construction', async () => {
    const rotated = paddle({ secret: ['pdl_ntfset_new', secret], toleranceSeconds: 60, clock: () => now });
    const body = JSON.stringify(notification('transaction.completed', transaction()));
    expect((await rotated.parse(request(body, header(body, nowSeconds - 30))))?.type).toBe('sale');
    expect(() => paddle({ secret: '' })).toThrow(/secret/);
    expect(() => paddle({ secret: ` ${secret}` })).toThrow(/whitespace/);
  });

  it.each([
    ['a string', '30'],
    ['negative', -5],
    ['NaN', Number.NaN],
  ])('refuses toleranceSeconds %s at construction (it would fail every delivery)', (_, tolerance) => {
    expect(() => paddle({ secret, toleranceSeconds: tolerance as number })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});
