import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLicenseKitError, NormalizationError } from '../../src/domain/errors.js';
import {
  normalizeStripeEvent,
  type StripePayment,
  safeNormalizeStripeEvent,
  stripePaymentToResolve,
} from '../../src/normalizers/stripe.js';
import { hmacSha256Hex } from '../../src/webhooks/_crypto.js';
import { stripe } from '../../src/webhooks/providers/stripe.js';
import { verifyStripeSignature } from '../../src/webhooks/stripe-signature.js';
import { assertOnlyVerificationErrors, verificationRejection } from './_signature-cases.js';

const secret = 'whsec_test_secret_for_licensekit';
const now = new Date('2025-03-01T10:00:00.000Z');
const nowSeconds = now.getTime() / 1000;

/** Stripe's scheme, computed with node:crypto as an independent oracle. */
function sign(body: string, t = nowSeconds, key = secret): string {
  return createHmac('sha256', key).update(`${t}.${body}`).digest('hex');
}
const header = (body: string, t = nowSeconds, key = secret) => `t=${t},v1=${sign(body, t, key)}`;

/** An Event envelope written from Stripe's documented fields (not a copied payload). */
function stripeEvent(type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    id: `evt_${type.replaceAll('.', '_')}`,
    object: 'event',
    api_version: '2025-03-31.basil',
    created: 1_740_823_200, // 2025-03-01T10:00:00Z
    livemode: true,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object, ...extra },
  };
}

function session(overrides: Record<string, unknown> = {}) {
  return {
    id: 'cs_test_a1',
    object: 'checkout.session',
    mode: 'payment',
    status: 'complete',
    payment_status: 'paid',
    amount_subtotal: 4900,
    amount_total: 4900,
    currency: 'usd',
    customer: 'cus_A1',
    customer_email: null,
    customer_details: { email: '  Buyer@Example.COM ', name: 'Ada Buyer', address: null },
    client_reference_id: 'ref-7',
    metadata: { product_id: 'app-pro', product_name: 'App Pro' },
    payment_intent: 'pi_A1',
    subscription: null,
    invoice: null,
    ...overrides,
  };
}

const charge = (overrides: Record<string, unknown> = {}) => ({
  id: 'ch_A1',
  object: 'charge',
  amount: 4900,
  amount_refunded: 4900,
  refunded: true,
  currency: 'usd',
  customer: 'cus_A1',
  payment_intent: 'pi_A1',
  billing_details: { email: 'buyer@example.com', name: 'Ada Buyer' },
  receipt_email: null,
  metadata: {},
  ...overrides,
});

const dispute = (status: string) => ({
  id: 'dp_A1',
  object: 'dispute',
  amount: 4900,
  currency: 'usd',
  charge: 'ch_A1',
  payment_intent: 'pi_A1',
  reason: 'fraudulent',
  status,
  metadata: {},
});

const subscriptionDetails = { subscription: 'sub_A1', metadata: { product_id: 'app-pro' } };
const invoice = (overrides: Record<string, unknown> = {}) => ({
  id: 'in_A1',
  object: 'invoice',
  billing_reason: 'subscription_cycle',
  amount_paid: 1500,
  currency: 'usd',
  customer: 'cus_A1',
  customer_email: 'Buyer@example.com',
  customer_name: 'Ada Buyer',
  status: 'paid',
  parent: { type: 'subscription_details', subscription_details: subscriptionDetails },
  ...overrides,
});

const deletedSubscription = {
  id: 'sub_A1',
  object: 'subscription',
  status: 'canceled',
  customer: 'cus_A1',
  currency: 'eur',
  canceled_at: 1_740_800_000,
  ended_at: 1_740_823_200,
  metadata: { product_id: 'app-pro' },
};

function request(body: string, signature: string | null = header(body)): Request {
  const headers = new Headers({ 'content-type': 'application/json; charset=utf-8' });
  if (signature !== null) headers.set('stripe-signature', signature);
  return new Request('https://example.com/webhooks/stripe', { method: 'POST', headers, body });
}

const provider = stripe({ signingSecret: secret, clock: () => now });

const rejection = verificationRejection(secret);

describe('Stripe HMAC core (published vectors, stripe-node test/crypto/helpers.ts)', () => {
  it.each([
    ['', 'f7f9bd47fb987337b5796fdc1fdb9ba221d0d5396814bfcaf9521f43fd8927fd'],
    [
      JSON.stringify({ obj1: 'hello', obj2: 'world' }),
      'bebb1a643997f419b315ddba19e6f5411e1ce7f810ba6d3617ce72823092f363',
    ],
    ['\ud83d\ude00', '837da296d05c4fe31f61d5d7ead035099d9585a5bcde87de952012a78f0b0c43'],
  ])('HMAC-SHA256(test_secret, %j)', async (payload, expected) => {
    expect(await hmacSha256Hex('test_secret', new TextEncoder().encode(payload))).toBe(expected);
  });

  it('verifies the full-header vector from the research notes', async () => {
    await expect(
      verifyStripeSignature({
        payload: '{"id":"evt_test_webhook","object":"event"}',
        header: 't=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990',
        secret: 'whsec_test_secret',
        now: new Date(1_700_000_000_000),
      }),
    ).resolves.toBeUndefined();
  });
});

describe('verifyStripeSignature', () => {
  const body = JSON.stringify(stripeEvent('checkout.session.completed', session()));
  const verify = (options: Partial<Parameters<typeof verifyStripeSignature>[0]> = {}) =>
    verifyStripeSignature({ payload: body, header: header(body), secret, now, ...options });

  it('accepts the raw body as a string or as bytes', async () => {
    await expect(verify()).resolves.toBeUndefined();
    await expect(verify({ payload: new TextEncoder().encode(body) })).resolves.toBeUndefined();
  });

  it('rejects one flipped byte and re-serialized JSON', async () => {
    const bytes = new TextEncoder().encode(body);
    bytes[10] = (bytes[10] ?? 0) ^ 0x01;
    expect((await rejection(verify({ payload: bytes }))).code).toBe('WEBHOOK_UNAUTHORIZED');
    const reserialized = JSON.stringify(JSON.parse(body), null, 2);
    expect((await rejection(verify({ payload: reserialized }))).code).toBe('WEBHOOK_UNAUTHORIZED');
  });

  it('bounds the timestamp both ways', async () => {
    await expect(verify({ header: header(body, nowSeconds - 300) })).resolves.toBeUndefined();
    await expect(verify({ header: header(body, nowSeconds + 300) })).resolves.toBeUndefined();
    const stale = await rejection(verify({ header: header(body, nowSeconds - 301) }));
    expect(stale.code).toBe('WEBHOOK_TIMESTAMP_OUT_OF_RANGE');
    const future = await rejection(verify({ header: header(body, nowSeconds + 86_400) }));
    expect(future.code).toBe('WEBHOOK_TIMESTAMP_OUT_OF_RANGE');
    await expect(
      verify({ header: header(body, nowSeconds - 1000), toleranceSeconds: 1000 }),
    ).resolves.toBeUndefined();
  });

  it('allows 300 s of clock skew into the future even with a smaller tolerance', async () => {
    await expect(
      verify({ header: header(body, nowSeconds + 300), toleranceSeconds: 10 }),
    ).resolves.toBeUndefined();
    const ahead = await rejection(verify({ header: header(body, nowSeconds + 301), toleranceSeconds: 10 }));
    expect(ahead.code).toBe('WEBHOOK_TIMESTAMP_OUT_OF_RANGE');
    const old = await rejection(verify({ header: header(body, nowSeconds - 11), toleranceSeconds: 10 }));
    expect(old.code).toBe('WEBHOOK_TIMESTAMP_OUT_OF_RANGE');
  });

  it('reports a bad signature on a stale timestamp as unauthorized, not as a clock problem', async () => {
    const t = nowSeconds - 1000;
    const error = await rejection(verify({ header: `t=${t},v1=${sign(body, t, 'whsec_other')}` }));
    expect(error.code).toBe('WEBHOOK_UNAUTHORIZED');
  });

  it.each([
    ['short', 'abc'],
    ['one char too long', `${sign(body)}0`],
    ['empty', ''],
    ['not hex', 'z'.repeat(64)],
  ])('rejects a %s signature without throwing another type', async (_, signature) => {
    const error = await rejection(verify({ header: `t=${nowSeconds},v1=${signature}` }));
    expect(error.code).toBe('WEBHOOK_UNAUTHORIZED');
  });

  it.each([
    ['missing', null],
    ['undefined', undefined],
    ['empty', ''],
    ['garbage', 'garbage'],
    ['no timestamp', `v1=${sign(body)}`],
    ['no v1', `t=${nowSeconds}`],
    ['a non-numeric timestamp', `t=abc,v1=${sign(body)}`],
    ['two timestamps', `t=${nowSeconds},t=${nowSeconds},v1=${sign(body)}`],
  ])('rejects a %s header', async (_, value) => {
    expect((await rejection(verify({ header: value }))).code).toBe('WEBHOOK_UNAUTHORIZED');
  });

  it('accepts any v1 (secret rolled) and ignores v0', async () => {
    const rolled = `t=${nowSeconds},v1=${sign(body, nowSeconds, 'whsec_old')},v1=${sign(body)}`;
    await expect(verify({ header: rolled })).resolves.toBeUndefined();
    const v0Only = `t=${nowSeconds},v0=${sign(body)}`;
    expect((await rejection(verify({ header: v0Only }))).code).toBe('WEBHOOK_UNAUTHORIZED');
    const badV1GoodV0 = `t=${nowSeconds},v1=${sign(body, nowSeconds, 'whsec_other')},v0=${sign(body)}`;
    await rejection(verify({ header: badV1GoodV0 }));
  });

  it('accepts any of several secrets (rotation)', async () => {
    await expect(verify({ secret: ['whsec_new', secret] })).resolves.toBeUndefined();
    await rejection(verify({ secret: ['whsec_new', 'whsec_newer'] }));
  });

  it('refuses a parsed object as payload with a clear message', async () => {
    const error = await rejection(verify({ payload: JSON.parse(body) as unknown as string }));
    expect(error.message).toMatch(/raw request body/);
  });

  it('rejects any header or body with WebhookVerificationError only', async () => {
    const headers = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.constant(`t=${nowSeconds},v1=`).map((h) => h + sign(body)),
    );
    await assertOnlyVerificationErrors(headers, (value, payload) => verify({ header: value, payload }));
  });

  it('never puts the secret or the expected signature in a message', async () => {
    const error = await rejection(verify({ header: `t=${nowSeconds},v1=${'0'.repeat(64)}` }));
    expect(error.message).not.toContain(sign(body));
    expect(error.message).not.toContain(secret);
  });
});

describe('normalizeStripeEvent', () => {
  it('checkout.session.completed (paid, payment mode) is a sale keyed by the payment intent', () => {
    const event = normalizeStripeEvent(stripeEvent('checkout.session.completed', session()));
    expect(event).toEqual({
      type: 'sale',
      eventId: 'evt_checkout_session_completed',
      occurredAt: '2025-03-01T10:00:00.000Z',
      purchase: {
        source: 'stripe',
        saleId: 'pi_A1',
        email: 'buyer@example.com',
        customerName: 'Ada Buyer',
        customerId: 'cus_A1',
        productId: 'app-pro',
        productName: 'App Pro',
        tier: null,
        amount: 4900,
        currency: 'USD',
        quantity: 1,
        purchasedAt: '2025-03-01T10:00:00.000Z',
        isTest: false,
        isRecurring: false,
        subscriptionId: null,
        sourceLicenseKey: null,
      },
    });
  });

  it('a subscription-mode session is a recurring sale keyed by the subscription', () => {
    const event = normalizeStripeEvent(
      stripeEvent(
        'checkout.session.completed',
        session({ mode: 'subscription', payment_intent: null, subscription: 'sub_A1' }),
      ),
    );
    expect(event?.purchase).toMatchObject({ saleId: 'sub_A1', subscriptionId: 'sub_A1', isRecurring: true });
  });

  it('an unpaid session issues nothing; its async_payment_succeeded is the same sale', () => {
    const unpaid = session({ payment_status: 'unpaid' });
    expect(normalizeStripeEvent(stripeEvent('checkout.session.completed', unpaid))).toBeNull();
    const later = normalizeStripeEvent(
      stripeEvent('checkout.session.async_payment_succeeded', { ...unpaid, payment_status: 'paid' }),
    );
    expect(later).toMatchObject({ type: 'sale', purchase: { saleId: 'pi_A1' } });
  });

  it('a setup-mode session issues nothing', () => {
    expect(
      normalizeStripeEvent(stripeEvent('checkout.session.completed', session({ mode: 'setup' }))),
    ).toBeNull();
  });

  it('takes the product from metadata, else the option (string or function), else fails', () => {
    const bare = stripeEvent('checkout.session.completed', session({ metadata: {} }));
    expect(normalizeStripeEvent(bare, { productId: 'fallback' })?.purchase.productId).toBe('fallback');
    const fromFunction = normalizeStripeEvent(bare, { productId: (s) => `by-${s.client_reference_id}` });
    expect(fromFunction?.purchase.productId).toBe('by-ref-7');
    const failed = safeNormalizeStripeEvent(bare);
    expect(failed.success).toBe(false);
    if (!failed.success) {
      expect(failed.error).toBeInstanceOf(NormalizationError);
      expect(failed.error.issues.map((issue) => issue.path)).toContain('data.object.metadata.product_id');
    }
  });

  it('a session without email is a NormalizationError', () => {
    const noEmail = session({ customer_details: { email: null, name: null }, customer_email: null });
    expect(() => normalizeStripeEvent(stripeEvent('checkout.session.completed', noEmail))).toThrow(
      NormalizationError,
    );
  });

  it('keeps zero- and three-decimal amounts as Stripe sends them (minor units)', () => {
    const yen = normalizeStripeEvent(
      stripeEvent('checkout.session.completed', session({ amount_total: 1500, currency: 'jpy' })),
    );
    expect(yen?.purchase).toMatchObject({ amount: 1500, currency: 'JPY' });
    const dinar = normalizeStripeEvent(
      stripeEvent('checkout.session.completed', session({ amount_total: 12_340, currency: 'kwd' })),
    );
    expect(dinar?.purchase).toMatchObject({ amount: 12_340, currency: 'KWD' });
  });

  it('charge.refunded: full vs partial from amount_refunded, amount = the refunded amount', () => {
    const full = normalizeStripeEvent(stripeEvent('charge.refunded', charge()));
    expect(full).toMatchObject({ type: 'refund', purchase: { saleId: 'pi_A1', amount: 4900 } });
    const partial = normalizeStripeEvent(
      stripeEvent('charge.refunded', charge({ amount_refunded: 1000, refunded: false })),
    );
    expect(partial).toMatchObject({ type: 'partial_refund', purchase: { amount: 1000 } });
    const second = normalizeStripeEvent(
      stripeEvent('charge.refunded', charge({ amount_refunded: 3000, refunded: false }), {
        previous_attributes: { amount_refunded: 1000 },
      }),
    );
    expect(second).toMatchObject({ type: 'partial_refund', purchase: { amount: 2000 } });
  });

  it('a refund or dispute takes the subscription the caller resolved, so it finds the subscription’s license', () => {
    const refund = normalizeStripeEvent(stripeEvent('charge.refunded', charge()), {
      subscriptionId: 'sub_A1',
    });
    expect(refund?.purchase).toMatchObject({ saleId: 'pi_A1', subscriptionId: 'sub_A1', isRecurring: true });
    const disputed = normalizeStripeEvent(stripeEvent('charge.dispute.created', dispute('needs_response')), {
      subscriptionId: 'sub_A1',
    });
    expect(disputed?.purchase).toMatchObject({
      saleId: 'pi_A1',
      subscriptionId: 'sub_A1',
      isRecurring: true,
    });
    const oneOff = normalizeStripeEvent(stripeEvent('charge.refunded', charge()));
    expect(oneOff?.purchase).toMatchObject({ subscriptionId: null, isRecurring: false });
  });

  it('names the payment to resolve only for refunds and disputes that may have paid an invoice', () => {
    const payment = (event: unknown) => stripePaymentToResolve(event);
    // API 2025-03-31 and later: charges no longer name their invoice.
    expect(payment(stripeEvent('charge.refunded', charge()))).toEqual({
      chargeId: 'ch_A1',
      paymentIntentId: 'pi_A1',
      invoiceId: null,
    });
    // Earlier versions name it, or say there is none.
    expect(payment(stripeEvent('charge.refunded', charge({ invoice: 'in_A1' })))?.invoiceId).toBe('in_A1');
    expect(payment(stripeEvent('charge.refunded', charge({ invoice: null })))).toBeNull();
    expect(payment(stripeEvent('charge.dispute.closed', dispute('won')))).toEqual({
      chargeId: 'ch_A1',
      paymentIntentId: 'pi_A1',
      invoiceId: null,
    });
    expect(payment(stripeEvent('checkout.session.completed', session()))).toBeNull();
    expect(payment(stripeEvent('charge.refunded', { id: 'ch_broken' }))).toBeNull();
    expect(payment('not an event')).toBeNull();
  });

  it('charge.dispute.created is a dispute; closed maps won, lost and a closed inquiry', () => {
    expect(
      normalizeStripeEvent(stripeEvent('charge.dispute.created', dispute('needs_response'))),
    ).toMatchObject({
      type: 'dispute',
      purchase: { saleId: 'pi_A1', amount: 4900, email: '' },
    });
    const closed = (status: string) =>
      normalizeStripeEvent(stripeEvent('charge.dispute.closed', dispute(status)));
    expect(closed('won')?.type).toBe('dispute_won');
    expect(closed('lost')?.type).toBe('dispute_lost');
    expect(closed('warning_closed')?.type).toBe('dispute_won');
    expect(closed('charge_refunded')).toBeNull();
    expect(closed('constructor')).toBeNull();
  });

  it('invoice.paid for a subscription cycle is a renewal, in both API shapes', () => {
    const basil = normalizeStripeEvent(stripeEvent('invoice.paid', invoice()));
    expect(basil).toMatchObject({
      type: 'renewal',
      purchase: {
        saleId: 'sub_A1',
        subscriptionId: 'sub_A1',
        amount: 1500,
        email: 'buyer@example.com',
        productId: 'app-pro',
      },
    });
    const legacy = normalizeStripeEvent(
      stripeEvent('invoice.paid', invoice({ parent: null, subscription: 'sub_A1' })),
    );
    expect(legacy).toMatchObject({
      type: 'renewal',
      purchase: { subscriptionId: 'sub_A1', productId: 'unknown' },
    });
    expect(
      normalizeStripeEvent(stripeEvent('invoice.paid', invoice({ billing_reason: 'subscription_create' }))),
    ).toBeNull();
    expect(() =>
      normalizeStripeEvent(stripeEvent('invoice.paid', invoice({ parent: null, subscription: null }))),
    ).toThrow(NormalizationError);
  });

  it('customer.subscription.deleted ends the subscription', () => {
    expect(
      normalizeStripeEvent(stripeEvent('customer.subscription.deleted', deletedSubscription)),
    ).toMatchObject({
      type: 'subscription_ended',
      purchase: { saleId: 'sub_A1', subscriptionId: 'sub_A1', amount: 0, currency: 'EUR' },
    });
  });

  it('other events are null, test-mode events are marked, garbage is a NormalizationError', () => {
    expect(normalizeStripeEvent(stripeEvent('payment_intent.succeeded', { id: 'pi_A1' }))).toBeNull();
    const test = { ...stripeEvent('checkout.session.completed', session()), livemode: false };
    expect(normalizeStripeEvent(test)?.purchase.isTest).toBe(true);
    expect(() => normalizeStripeEvent('nope')).toThrow(NormalizationError);
    expect(() => normalizeStripeEvent(stripeEvent('charge.refunded', { id: 'ch_1' }))).toThrow(
      NormalizationError,
    );
  });
});

describe('stripe() provider', () => {
  const fixtures: [string, Record<string, unknown>, string | null][] = [
    ['checkout.session.completed', stripeEvent('checkout.session.completed', session()), 'sale'],
    [
      'checkout.session.async_payment_succeeded',
      stripeEvent('checkout.session.async_payment_succeeded', session()),
      'sale',
    ],
    ['charge.refunded', stripeEvent('charge.refunded', charge()), 'refund'],
    ['charge.dispute.created', stripeEvent('charge.dispute.created', dispute('needs_response')), 'dispute'],
    ['charge.dispute.closed', stripeEvent('charge.dispute.closed', dispute('lost')), 'dispute_lost'],
    ['invoice.paid', stripeEvent('invoice.paid', invoice()), 'renewal'],
    [
      'customer.subscription.deleted',
      stripeEvent('customer.subscription.deleted', deletedSubscription),
      'subscription_ended',
    ],
    ['an ignored event', stripeEvent('customer.created', { id: 'cus_A1' }), null],
  ];

  it.each(fixtures)('parses a signed %s', async (_, event, type) => {
    const parsed = await provider.parse(request(JSON.stringify(event)));
    expect(parsed?.type ?? null).toBe(type);
    if (parsed) expect(parsed.purchase.source).toBe(provider.id);
  });

  it('verifies before parsing: a bad signature on a non-JSON body is 401, a good one is 400', async () => {
    const junk = 'not json {';
    await rejection(provider.parse(request(junk, header(junk, nowSeconds, 'whsec_other'))));
    const error = await provider.parse(request(junk)).catch((caught: unknown) => caught);
    expect(isLicenseKitError(error, 'NORMALIZATION_FAILED')).toBe(true);
  });

  it('rejects a missing header, a stale delivery and a tampered body', async () => {
    const body = JSON.stringify(stripeEvent('checkout.session.completed', session()));
    expect((await rejection(provider.parse(request(body, null)))).code).toBe('WEBHOOK_UNAUTHORIZED');
    const stale = await rejection(provider.parse(request(body, header(body, nowSeconds - 3600))));
    expect(stale.code).toBe('WEBHOOK_TIMESTAMP_OUT_OF_RANGE');
    await rejection(provider.parse(request(body.replace('4900', '4901'), header(body))));
  });

  it('accepts rotated secrets and uses the productId option', async () => {
    const rotated = stripe({ signingSecret: ['whsec_new', secret], productId: 'fallback', clock: () => now });
    const body = JSON.stringify(stripeEvent('checkout.session.completed', session({ metadata: {} })));
    expect((await rotated.parse(request(body)))?.purchase.productId).toBe('fallback');
  });

  it('resolveSubscription: asked for refunds and disputes only, its answer links the subscription', async () => {
    const asked: StripePayment[] = [];
    const resolving = stripe({
      signingSecret: secret,
      clock: () => now,
      resolveSubscription: async (payment) => {
        asked.push(payment);
        return payment.paymentIntentId === 'pi_A1' ? 'sub_A1' : null;
      },
    });
    const parse = (event: object) => resolving.parse(request(JSON.stringify(event)));
    expect(
      (await parse(stripeEvent('charge.refunded', charge({ invoice: 'in_A1' }))))?.purchase,
    ).toMatchObject({
      saleId: 'pi_A1',
      subscriptionId: 'sub_A1',
    });
    const disputed = await parse(stripeEvent('charge.dispute.created', dispute('needs_response')));
    expect(disputed?.purchase).toMatchObject({ subscriptionId: 'sub_A1' });
    const oneOff = charge({ id: 'ch_B1', payment_intent: 'pi_B1' });
    expect((await parse(stripeEvent('charge.refunded', oneOff)))?.purchase.subscriptionId).toBeNull();
    await parse(stripeEvent('charge.refunded', charge({ invoice: null })));
    await parse(stripeEvent('checkout.session.completed', session()));
    await parse(stripeEvent('invoice.paid', invoice()));
    expect(asked).toEqual([
      { chargeId: 'ch_A1', paymentIntentId: 'pi_A1', invoiceId: 'in_A1' },
      { chargeId: 'ch_A1', paymentIntentId: 'pi_A1', invoiceId: null },
      { chargeId: 'ch_B1', paymentIntentId: 'pi_B1', invoiceId: null },
    ]);
    const failing = stripe({
      signingSecret: secret,
      clock: () => now,
      resolveSubscription: () => Promise.reject(new Error('Stripe API unavailable')),
    });
    await expect(
      failing.parse(request(JSON.stringify(stripeEvent('charge.refunded', charge())))),
    ).rejects.toThrow('Stripe API unavailable');
  });

  it('refuses a missing or whitespace-padded secret at construction', () => {
    expect(() => stripe({ signingSecret: '' })).toThrow(/signingSecret/);
    expect(() => stripe({ signingSecret: [] })).toThrow(/signingSecret/);
    expect(() => stripe({ signingSecret: `${secret}\n` })).toThrow(/whitespace/);
  });

  it.each([
    ['a string', '300'],
    ['negative', -1],
    ['NaN', Number.NaN],
  ])('refuses toleranceSeconds %s at construction (it would fail every delivery)', (_, tolerance) => {
    expect(() => stripe({ signingSecret: secret, toleranceSeconds: tolerance as number })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  it('takes toleranceSeconds Infinity (no timestamp check)', async () => {
    const lenient = stripe({
      signingSecret: secret,
      toleranceSeconds: Number.POSITIVE_INFINITY,
      clock: () => now,
    });
    const body = JSON.stringify(stripeEvent('checkout.session.completed', session()));
    expect((await lenient.parse(request(body, header(body, 1))))?.type).toBe('sale');
  });
});
