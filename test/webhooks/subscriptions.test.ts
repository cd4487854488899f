import { afterEach, describe, expect, it } from 'vitest';
import { PurchaseAuditLog, type StripePayment, stripe } from '../../src/index.js';
import {
  lemonSqueezyOrderCreatedEvent,
  lemonSqueezySubscriptionCreatedEvent,
  lemonSqueezySubscriptionPaymentEvent,
  lemonSqueezyWebhookRequest,
  stripeEvent,
  stripeWebhookRequest,
} from '../../src/testing.js';
import {
  cleanUpE2E,
  dayMs,
  type E2E,
  email,
  lemonSecret,
  renewalInvoice,
  setup,
  stripeSecret,
  subscribe,
  thirtyDays,
} from './_e2e.js';

/**
 * Subscriptions whose later events do not name the sale: a Lemon Squeezy renewal names only its
 * subscription, and a Stripe refund only its charge. End to end on `fileStorage()` (see `_e2e.ts`).
 */

afterEach(cleanUpE2E);

describe('Lemon Squeezy subscriptions end to end on fileStorage()', () => {
  const orderId = 5001;
  const subscriptionId = 6001;

  /** The three events of one subscription: the order, the subscription it started, and a renewal. */
  const events = (e2e: E2E) => {
    const order = lemonSqueezyOrderCreatedEvent({ email, productId: 301, orderId, createdAt: e2e.clock() });
    const started = lemonSqueezySubscriptionCreatedEvent({
      email,
      orderId,
      subscriptionId,
      productId: 301,
      createdAt: e2e.clock(),
    });
    const sign = (payload: object) => lemonSqueezyWebhookRequest(payload, lemonSecret);
    return {
      order: () => sign(order),
      started: () => sign(started),
      renewal: (at: Date) =>
        sign(lemonSqueezySubscriptionPaymentEvent({ email, subscriptionId, total: 900, createdAt: at })),
      renewalRefunded: (at: Date, refundedAmount: number) =>
        sign(
          lemonSqueezySubscriptionPaymentEvent({
            email,
            subscriptionId,
            total: 900,
            createdAt: at,
            refundedAmount,
          }),
        ),
      expired: (at: Date) =>
        sign({
          ...started,
          meta: { ...started.meta, event_name: 'subscription_expired' },
          data: { ...started.data, attributes: { ...started.data.attributes, updated_at: at.toISOString() } },
        }),
    };
  };

  it('order, then subscription_created, then a renewal: one license, linked, renewed; one sale in the stats', async () => {
    const e2e = await setup('lemonsqueezy', thirtyDays);
    const start = e2e.clock().getTime();
    const send = events(e2e);
    const sale = await e2e.send(await send.order());
    expect(sale).toMatchObject({ status: 200, action: 'created' });
    const linked = await e2e.send(await send.started());
    expect(linked).toMatchObject({ status: 200, action: 'duplicate', licenseKey: sale.licenseKey });
    expect((await e2e.manager.getLicense(sale.licenseKey!))?.subscriptionId).toBe(String(subscriptionId));

    e2e.clock.advance({ days: 29 });
    const renewed = await e2e.send(await send.renewal(e2e.clock()));
    expect(renewed).toMatchObject({ status: 200, action: 'renewed', licenseKey: sale.licenseKey });
    const license = await e2e.manager.getLicense(sale.licenseKey!);
    expect(license?.expiresAt).toBe(new Date(start + 60 * dayMs).toISOString());
    expect(await e2e.licenses()).toHaveLength(1);
    expect(e2e.mailer.sent).toHaveLength(1);

    // The subscription event is recorded, but it is no payment: the sale and the renewal are.
    const stats = await new PurchaseAuditLog({ storage: e2e.storage }).getPurchaseStats();
    expect(stats.totalPurchases).toBe(2);
    expect(stats.revenue).toEqual({ USD: { gross: 1900, refunded: 0, net: 1900 } });
    const types = (await e2e.records()).flatMap((record) =>
      record.kind === 'purchase' ? [record.event.type] : [],
    );
    expect(types).toEqual(['sale', 'subscription_created', 'renewal']);
  });

  it('a refunded renewal charge revokes the license, booked under its product; a partial one does not', async () => {
    const e2e = await setup('lemonsqueezy', thirtyDays);
    const send = events(e2e);
    const sale = await e2e.send(await send.order());
    await e2e.send(await send.started());
    e2e.clock.advance({ days: 29 });
    await e2e.send(await send.renewal(e2e.clock()));
    e2e.clock.advance({ days: 1 });
    const partial = await e2e.send(await send.renewalRefunded(e2e.clock(), 300));
    expect(partial).toMatchObject({ status: 200, action: 'recorded', licenseKey: sale.licenseKey });
    e2e.clock.advance({ days: 1 });
    const full = await e2e.send(await send.renewalRefunded(e2e.clock(), 900));
    expect(full).toMatchObject({ status: 200, action: 'revoked', licenseKey: sale.licenseKey });
    expect((await e2e.manager.validate(sale.licenseKey!)).code).toBe('REVOKED');
    const refunds = (await e2e.records()).flatMap((record) =>
      record.kind === 'purchase' && record.event.type.endsWith('refund') ? [record.event] : [],
    );
    expect(refunds.map((event) => [event.type, event.purchase.productId])).toEqual([
      ['partial_refund', '301'],
      ['refund', '301'],
    ]);
  });

  it('subscription_created first: it issues the license, the order finds it, the end expires it', async () => {
    const e2e = await setup('lemonsqueezy', thirtyDays);
    const send = events(e2e);
    const first = await e2e.send(await send.started());
    expect(first).toMatchObject({ status: 200, action: 'created' });
    const order = await e2e.send(await send.order());
    expect(order).toMatchObject({ status: 200, action: 'duplicate', licenseKey: first.licenseKey });
    // The order is the payment, even though its license came first.
    expect((await new PurchaseAuditLog({ storage: e2e.storage }).getPurchaseStats()).totalPurchases).toBe(1);
    expect(await e2e.licenses()).toMatchObject([
      { purchaseId: String(orderId), subscriptionId: String(subscriptionId) },
    ]);
    expect(e2e.mailer.sent).toHaveLength(1);

    e2e.clock.advance({ days: 29 });
    expect(await e2e.send(await send.renewal(e2e.clock()))).toMatchObject({ action: 'renewed' });
    e2e.clock.advance({ days: 40 });
    expect(await e2e.send(await send.expired(e2e.clock()))).toMatchObject({ action: 'expired' });
    expect((await e2e.manager.validate(first.licenseKey!)).code).toBe('EXPIRED');
  });

  it('the order and its subscription delivered 10× at once, mixed: one license, linked, one email', async () => {
    const e2e = await setup('lemonsqueezy', thirtyDays);
    const send = events(e2e);
    const requests = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? send.order() : send.started())),
    );
    const answers = await Promise.all(requests.map((request) => e2e.send(request)));
    expect(answers.filter((answer) => answer.action === 'created')).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.licenseKey)).size).toBe(1);
    expect(await e2e.licenses()).toMatchObject([{ subscriptionId: String(subscriptionId) }]);
    expect(e2e.mailer.sent).toHaveLength(1);
  });
});

describe('Stripe: a refunded subscription payment on fileStorage()', () => {
  /** `sub_1`'s payments: the first invoice's and the renewal's, as Stripe's API would answer. */
  const subscriptionOf = new Map([
    ['pi_first', 'sub_1'],
    ['pi_renewal', 'sub_1'],
  ]);
  const asked: StripePayment[] = [];
  const resolving = {
    ...thirtyDays,
    provider: (clock: () => Date) =>
      stripe({
        signingSecret: stripeSecret,
        clock,
        resolveSubscription: async (payment) => {
          asked.push(payment);
          return subscriptionOf.get(payment.paymentIntentId ?? '') ?? null;
        },
      }),
  };
  /** `charge.refunded` of a subscription charge, as API 2025-03-31 and later send it (no invoice). */
  const refund = (paymentIntent: string, created: Date) =>
    stripeEvent(
      'charge.refunded',
      {
        id: `ch_${paymentIntent}`,
        amount: 1000,
        amount_refunded: 1000,
        refunded: true,
        currency: 'usd',
        customer: 'cus_1',
        payment_intent: paymentIntent,
        billing_details: { email, name: 'Ada' },
        metadata: {},
      },
      { created },
    );

  it('sale, renewal, then the renewal charge refunded: the subscription’s license is REVOKED', async () => {
    const e2e = await setup('stripe', resolving);
    const { licenseKey } = await subscribe(e2e);
    e2e.clock.advance({ days: 29 });
    const sign = (event: object) => stripeWebhookRequest(event, stripeSecret, { timestamp: e2e.clock() });
    expect(await e2e.send(await sign(renewalInvoice(e2e.clock())))).toMatchObject({ action: 'renewed' });

    e2e.clock.advance({ days: 2 });
    const revoked = await e2e.send(await sign(refund('pi_renewal', e2e.clock())));
    expect(revoked).toMatchObject({ status: 200, action: 'revoked', licenseKey });
    expect((await e2e.manager.validate(licenseKey)).code).toBe('REVOKED');
    expect(asked.at(-1)).toEqual({
      chargeId: 'ch_pi_renewal',
      paymentIntentId: 'pi_renewal',
      invoiceId: null,
    });
    expect(await e2e.licenses()).toHaveLength(1);
    const stats = await new PurchaseAuditLog({ storage: e2e.storage }).getPurchaseStats();
    expect(stats.revenue.USD).toEqual({ gross: 2000, refunded: 1000, net: 1000 });
  });

  it('a partial refund of the first payment is recorded against the subscription’s license', async () => {
    const e2e = await setup('stripe', resolving);
    const { licenseKey } = await subscribe(e2e);
    const partial = refund('pi_first', e2e.clock());
    Object.assign(partial.data.object, { amount_refunded: 400, refunded: false });
    const answer = await e2e.send(
      await stripeWebhookRequest(partial, stripeSecret, { timestamp: e2e.clock() }),
    );
    expect(answer).toMatchObject({ status: 200, action: 'recorded', licenseKey });
    expect((await e2e.manager.validate(licenseKey)).code).toBe('VALID');
    expect(await e2e.licenses()).toHaveLength(1);
  });
});
