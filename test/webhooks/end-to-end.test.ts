import { afterEach, describe, expect, it } from 'vitest';
import { fileStorage } from '../../src/node.js';
import {
  type FakeClock,
  gumroadPingRequest,
  gumroadSaleFields,
  lemonSqueezyOrderCreatedEvent,
  lemonSqueezyWebhookRequest,
  paddleTransactionCompletedEvent,
  paddleWebhookRequest,
  paypalCaptureCompletedEvent,
  paypalWebhookRequest,
  stripeCheckoutCompletedEvent,
  stripeEvent,
  stripeWebhookRequest,
} from '../../src/testing.js';
import {
  cleanUpE2E,
  dayMs,
  type E2E,
  email,
  gumroadToken,
  lemonSecret,
  onCleanup,
  paddleSecret,
  paypalCredentials,
  renewalInvoice,
  type Store,
  setup,
  stripeSecret,
  subscribe,
  thirtyDays,
  webhookId,
} from './_e2e.js';

/**
 * Webhooks end to end on real files: signed requests from the `licensekit/testing` builders, through
 * `createWebhookHandler` and a `LicenseManager` on `fileStorage()` in a temp dir (see `_e2e.ts`).
 */

afterEach(cleanUpE2E);

/** One sale per store, as its builder makes it, and how to sign it (and any later event) now. */
interface StoreSale {
  /** A fresh request for the sale (a body can be read once). */
  request(): Promise<Request>;
  /** A fresh request for the sale's full refund. */
  refund(): Promise<Request>;
}

async function storeSale(store: Store, clock: FakeClock): Promise<StoreSale> {
  const at = clock();
  switch (store) {
    case 'stripe': {
      const event = stripeCheckoutCompletedEvent({
        email,
        productId: 'app',
        paymentIntent: 'pi_1',
        created: at,
      });
      const refund = stripeEvent('charge.refunded', {
        id: 'ch_1',
        amount: 1000,
        amount_refunded: 1000,
        currency: 'usd',
        customer: null,
        payment_intent: 'pi_1',
        billing_details: null,
        receipt_email: null,
        metadata: null,
      });
      return {
        request: () => stripeWebhookRequest(event, stripeSecret, { timestamp: clock() }),
        refund: () => stripeWebhookRequest(refund, stripeSecret, { timestamp: clock() }),
      };
    }
    case 'gumroad': {
      const fields = gumroadSaleFields({
        email,
        productId: 'prod-1',
        sellerId: 'seller-1',
        saleTimestamp: at,
      });
      return {
        request: () => gumroadPingRequest(fields, { token: gumroadToken }),
        refund: () =>
          gumroadPingRequest(
            { ...fields, resource_name: 'refund', refunded: 'true' },
            { token: gumroadToken },
          ),
      };
    }
    case 'lemonsqueezy': {
      const order = lemonSqueezyOrderCreatedEvent({ email, productId: 301, orderId: 5001, createdAt: at });
      const refunded = structuredClone(order);
      refunded.meta.event_name = 'order_refunded';
      const later = new Date(at.getTime() + 60_000).toISOString();
      Object.assign(refunded.data.attributes, {
        status: 'refunded',
        refunded: true,
        refunded_amount: 1000,
        refunded_at: later,
        updated_at: later,
      });
      return {
        request: () => lemonSqueezyWebhookRequest(order, lemonSecret),
        refund: () => lemonSqueezyWebhookRequest(refunded, lemonSecret),
      };
    }
    case 'paddle': {
      const transaction = paddleTransactionCompletedEvent({
        email,
        productId: 'pro_01',
        transactionId: 'txn_1',
        occurredAt: at,
      });
      return {
        request: () => paddleWebhookRequest(transaction, paddleSecret, { timestamp: clock() }),
        refund: () =>
          paddleWebhookRequest(paddleAdjustment('refund', 'adj_refund'), paddleSecret, {
            timestamp: clock(),
          }),
      };
    }
    case 'paypal': {
      const capture = paypalCaptureCompletedEvent({
        email,
        productId: 'app',
        captureId: 'CAP1',
        createTime: at,
      });
      const refund = {
        id: 'WH-REFUND-1',
        event_type: 'PAYMENT.CAPTURE.REFUNDED',
        create_time: at.toISOString(),
        links: [],
        resource: {
          id: 'REFUND1',
          amount: { currency_code: 'USD', value: '10.00' },
          custom_id: capture.resource.custom_id,
          links: [{ href: 'https://api.paypal.com/v2/payments/captures/CAP1', rel: 'up', method: 'GET' }],
        },
      };
      const sign = async (event: object) =>
        paypalWebhookRequest(event, { ...(await paypalCredentials()), webhookId });
      return { request: () => sign(capture), refund: () => sign(refund) };
    }
  }
}

function paddleAdjustment(action: string, id: string) {
  return {
    event_id: `evt_${id}`,
    event_type: 'adjustment.created',
    occurred_at: '2025-03-01T10:05:00.000Z',
    data: {
      id,
      action,
      type: 'full',
      status: 'approved',
      transaction_id: 'txn_1',
      subscription_id: null,
      customer_id: 'ctm_1',
      currency_code: 'USD',
      totals: { total: '1000' },
    },
  };
}

const stores: Store[] = ['stripe', 'gumroad', 'lemonsqueezy', 'paddle', 'paypal'];

describe.each(stores)('%s end to end on fileStorage()', (store) => {
  it('the same delivery 20× concurrently makes one license, one purchase record, one email', async () => {
    const e2e = await setup(store);
    const sale = await storeSale(store, e2e.clock);
    const requests = await Promise.all(Array.from({ length: 20 }, () => sale.request()));
    const answers = await Promise.all(requests.map((request) => e2e.send(request)));

    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(answers.filter((answer) => answer.action === 'created')).toHaveLength(1);
    expect(answers.filter((answer) => answer.action === 'duplicate')).toHaveLength(19);
    const [key] = new Set(answers.map((answer) => answer.licenseKey));
    expect(new Set(answers.map((answer) => answer.licenseKey)).size).toBe(1);

    const licenses = await e2e.licenses();
    expect(licenses.map((license) => license.key)).toEqual([key]);
    expect(licenses[0]?.deliveredAt).not.toBeNull();
    const records = await e2e.records();
    expect(records.filter((record) => record.kind === 'purchase')).toHaveLength(1);
    const actions = records.flatMap((record) => (record.kind === 'license' ? [record.action] : []));
    expect(actions.sort()).toEqual(['created', 'email_sent']);
    expect(e2e.mailer.sent).toHaveLength(1);
    expect(e2e.mailer.sent[0]?.to).toBe(email);
    expect(e2e.mailer.sent[0]?.text).toContain(key);

    // And so on disk: a fresh storage on the same files sees exactly one license.
    await e2e.manager.close();
    const reopened = fileStorage({ dir: e2e.dir });
    onCleanup(async () => {
      await reopened.licenses.close();
      await reopened.purchases.close();
    });
    const onDisk: string[] = [];
    for await (const license of reopened.licenses.list()) onDisk.push(license.key);
    expect(onDisk).toEqual([key]);
  });

  it('sale then refund: the key validates as REVOKED', async () => {
    const e2e = await setup(store);
    const sale = await storeSale(store, e2e.clock);
    const created = await e2e.send(await sale.request());
    expect(created).toMatchObject({ status: 200, action: 'created' });
    expect((await e2e.manager.validate(created.licenseKey!)).code).toBe('VALID');
    e2e.clock.advance({ minutes: 5 });
    expect(await e2e.send(await sale.refund())).toMatchObject({ status: 200, action: 'revoked' });
    const result = await e2e.manager.validate(created.licenseKey!);
    expect([result.valid, result.code, result.license?.statusReason]).toEqual([false, 'REVOKED', 'refunded']);
    expect(await e2e.send(await sale.refund())).toMatchObject({ status: 200, action: 'duplicate' });
  });

  it('a 4xx writes nothing, before and after a sale', async () => {
    const e2e = await setup(store);
    const sale = await storeSale(store, e2e.clock);
    const otherSeller = gumroadSaleFields({ email, productId: 'prod-1', sellerId: 'someone-else' });
    const refused = async () => {
      const good = await sale.request();
      const body = new Uint8Array(await good.clone().arrayBuffer());
      const flipped = body.slice();
      flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
      const requests: [number, Request][] = [
        // Gumroad signs no body: its other credential is the seller id.
        store === 'gumroad'
          ? [401, await gumroadPingRequest(otherSeller, { token: gumroadToken })]
          : [401, new Request(good.url, { method: 'POST', headers: good.headers, body: flipped })],
        [
          401,
          new Request(good.url.replace(/token=[^&]*/, 'token=wrong'), {
            method: 'POST',
            headers: withoutSignature(good.headers),
            body,
          }),
        ],
        [405, new Request(good.url, { method: 'GET', headers: good.headers })],
        [
          415,
          new Request(good.url, {
            method: 'POST',
            headers: { ...Object.fromEntries(good.headers), 'content-type': 'text/plain' },
            body,
          }),
        ],
        [
          413,
          new Request(good.url, {
            method: 'POST',
            headers: good.headers,
            body: new Uint8Array(1024 * 1024 + 1),
          }),
        ],
        [400, await malformed(store, e2e.clock)],
      ];
      for (const [status, request] of requests)
        expect((await e2e.send(request)).status, String(status)).toBe(status);
    };

    const empty = await e2e.files();
    await refused();
    expect(await e2e.files()).toEqual(empty);
    expect(await e2e.records()).toEqual([]);
    expect(await e2e.licenses()).toEqual([]);

    expect(await e2e.send(await sale.request())).toMatchObject({ status: 200, action: 'created' });
    const afterSale = await e2e.files();
    expect(Object.keys(afterSale)).toEqual(expect.arrayContaining(['licenses.json', 'purchases.jsonl']));
    await refused();
    expect(await e2e.files()).toEqual(afterSale);
    expect(e2e.mailer.sent).toHaveLength(1);
  });
});

/** The request's headers without its signature (for Gumroad: the token is in the URL). */
function withoutSignature(headers: Headers): Headers {
  const copy = new Headers(headers);
  for (const name of ['stripe-signature', 'x-signature', 'paddle-signature', 'paypal-transmission-sig'])
    copy.delete(name);
  return copy;
}

/** A correctly signed request whose payload is not a purchase event the store's normalizer accepts. */
async function malformed(store: Store, clock: FakeClock): Promise<Request> {
  switch (store) {
    case 'stripe':
      return stripeWebhookRequest('{"id":"evt_1","type":"checkout.session.completed"', stripeSecret, {
        timestamp: clock(),
      });
    case 'gumroad':
      return gumroadPingRequest(
        { seller_id: 'seller-1', sale_id: 'sale-x', price: 'ten' },
        { token: gumroadToken },
      );
    case 'lemonsqueezy':
      return lemonSqueezyWebhookRequest({ meta: { event_name: 'order_created' }, data: {} }, lemonSecret);
    case 'paddle':
      return paddleWebhookRequest(
        { event_id: 'evt_x', event_type: 'transaction.completed', data: [] },
        paddleSecret,
        {
          timestamp: clock(),
        },
      );
    case 'paypal':
      return paypalWebhookRequest(
        { id: 'WH-X', event_type: 'PAYMENT.CAPTURE.COMPLETED', create_time: 'soon', resource: {} },
        { ...(await paypalCredentials()), webhookId },
      );
  }
}

/** Delivers `invoice` `n` times at once; resolves to the answers. */
async function deliverConcurrently(e2e: E2E, invoice: object, n: number) {
  const requests = await Promise.all(
    Array.from({ length: n }, () => stripeWebhookRequest(invoice, stripeSecret, { timestamp: e2e.clock() })),
  );
  return Promise.all(requests.map((request) => e2e.send(request)));
}

describe('Stripe end to end on fileStorage()', () => {
  const checkout = (clock: FakeClock, overrides: Record<string, unknown> = {}) => {
    const event = stripeCheckoutCompletedEvent({
      email,
      productId: 'app',
      paymentIntent: 'pi_async',
      created: clock(),
    });
    return { ...event, data: { object: { ...event.data.object, ...overrides } } };
  };

  it('checkout.session.completed then async_payment_succeeded for one payment intent: one license', async () => {
    const e2e = await setup('stripe');
    const completed = checkout(e2e.clock);
    const succeeded = stripeEvent('checkout.session.async_payment_succeeded', completed.data.object);
    const first = await e2e.send(
      await stripeWebhookRequest(completed, stripeSecret, { timestamp: e2e.clock() }),
    );
    const second = await e2e.send(
      await stripeWebhookRequest(succeeded, stripeSecret, { timestamp: e2e.clock() }),
    );
    expect(first).toMatchObject({ status: 200, action: 'created' });
    expect(second).toMatchObject({ status: 200, action: 'duplicate', licenseKey: first.licenseKey });
    expect(await e2e.licenses()).toHaveLength(1);
    expect(e2e.mailer.sent).toHaveLength(1);
  });

  it('both checkout events at once, in either order: one license', async () => {
    const e2e = await setup('stripe');
    const completed = checkout(e2e.clock);
    const succeeded = stripeEvent('checkout.session.async_payment_succeeded', completed.data.object);
    const requests = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        stripeWebhookRequest(i % 2 === 0 ? succeeded : completed, stripeSecret, { timestamp: e2e.clock() }),
      ),
    );
    const answers = await Promise.all(requests.map((request) => e2e.send(request)));
    expect(answers.filter((answer) => answer.action === 'created')).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.licenseKey)).size).toBe(1);
    expect(await e2e.licenses()).toHaveLength(1);
    expect(e2e.mailer.sent).toHaveLength(1);
  });

  it('an unpaid (delayed) checkout issues nothing until async_payment_succeeded', async () => {
    const e2e = await setup('stripe');
    const unpaid = checkout(e2e.clock, { payment_status: 'unpaid' });
    const ignored = await e2e.send(
      await stripeWebhookRequest(unpaid, stripeSecret, { timestamp: e2e.clock() }),
    );
    expect(ignored).toMatchObject({ status: 200, action: 'ignored', licenseKey: null });
    expect(await e2e.licenses()).toEqual([]);
    const succeeded = stripeEvent('checkout.session.async_payment_succeeded', {
      ...unpaid.data.object,
      payment_status: 'paid',
    });
    const created = await e2e.send(
      await stripeWebhookRequest(succeeded, stripeSecret, { timestamp: e2e.clock() }),
    );
    expect(created).toMatchObject({ status: 200, action: 'created' });
    expect(e2e.mailer.sent).toHaveLength(1);
  });

  it('dispute then dispute won: SUSPENDED, then valid again', async () => {
    const e2e = await setup('stripe');
    const sale = await storeSale('stripe', e2e.clock);
    const { licenseKey } = await e2e.send(await sale.request());
    const dispute = (status: string) => ({
      id: 'dp_1',
      amount: 1000,
      currency: 'usd',
      charge: 'ch_1',
      payment_intent: 'pi_1',
      status,
      metadata: null,
    });
    const created = stripeEvent('charge.dispute.created', dispute('needs_response'));
    expect(
      await e2e.send(await stripeWebhookRequest(created, stripeSecret, { timestamp: e2e.clock() })),
    ).toMatchObject({
      status: 200,
      action: 'suspended',
    });
    expect((await e2e.manager.validate(licenseKey!)).code).toBe('SUSPENDED');
    e2e.clock.advance({ days: 10 });
    const won = stripeEvent('charge.dispute.closed', dispute('won'));
    expect(
      await e2e.send(await stripeWebhookRequest(won, stripeSecret, { timestamp: e2e.clock() })),
    ).toMatchObject({
      status: 200,
      action: 'reinstated',
    });
    const result = await e2e.manager.validate(licenseKey!);
    expect([result.valid, result.code]).toEqual([true, 'VALID']);
  });

  it('a renewal (invoice.paid, subscription_cycle) extends the expiry by the plan’s 30 days', async () => {
    const e2e = await setup('stripe', thirtyDays);
    const start = e2e.clock().getTime();
    const { licenseKey, expiresAt } = await subscribe(e2e);
    expect(expiresAt).toBe(start + 30 * dayMs);

    e2e.clock.advance({ days: 29 });
    const invoice = renewalInvoice(e2e.clock());
    const renewal = () => stripeWebhookRequest(invoice, stripeSecret, { timestamp: e2e.clock() });
    expect(await e2e.send(await renewal())).toMatchObject({ status: 200, action: 'renewed', licenseKey });
    const renewed = await e2e.manager.getLicense(licenseKey);
    expect(renewed?.expiresAt).toBe(new Date(start + 60 * dayMs).toISOString());
    expect(await e2e.send(await renewal())).toMatchObject({ status: 200, action: 'duplicate' });
    expect((await e2e.manager.getLicense(licenseKey))?.expiresAt).toBe(renewed?.expiresAt);

    e2e.clock.advance({ days: 15 }); // day 44: past the first term, inside the renewed one
    expect((await e2e.manager.validate(licenseKey)).code).toBe('VALID');
    e2e.clock.advance({ days: 17 }); // day 61
    expect((await e2e.manager.validate(licenseKey)).code).toBe('EXPIRED');
  });
});

describe('Stripe renewals delivered concurrently', () => {
  it('the same renewal 20× at once extends the expiry by one term', async () => {
    const e2e = await setup('stripe', thirtyDays);
    const { licenseKey, expiresAt } = await subscribe(e2e);
    e2e.clock.advance({ days: 31 }); // renewed after the first term lapsed, as Stripe does at period end
    const answers = await deliverConcurrently(e2e, renewalInvoice(e2e.clock()), 20);
    expect(answers.every((answer) => answer.status === 200 && answer.licenseKey === licenseKey)).toBe(true);
    const license = await e2e.manager.getLicense(licenseKey);
    expect(license?.expiresAt).toBe(new Date(e2e.clock().getTime() + 30 * dayMs).toISOString());
    expect(Date.parse(license!.expiresAt!)).toBeGreaterThan(expiresAt);
    const records = await e2e.records();
    expect(records.filter((record) => record.kind === 'purchase')).toHaveLength(2); // the sale and the renewal
    expect(
      records.filter((record) => record.kind === 'license' && record.action === 'extended'),
    ).toHaveLength(1);
  });
});

describe('bugs these tests found, fixed', () => {
  it('20 concurrent deliveries of one renewal, server clock 1 s behind the event: extended once', async () => {
    const e2e = await setup('stripe', thirtyDays);
    const { licenseKey } = await subscribe(e2e);
    e2e.clock.advance({ days: 31 });
    // Stripe's `created` is 1 s ahead of this server's clock (ordinary NTP skew). All 20 copies pass
    // `purchases.has()` before any records it; the extension counts from the latest of now, the expiry
    // and the payment, so only the first copy to apply it changes anything.
    const paidAt = e2e.clock().getTime() + 1000;
    const answers = await deliverConcurrently(e2e, renewalInvoice(new Date(paidAt)), 20);
    const license = await e2e.manager.getLicense(licenseKey);
    expect(license?.expiresAt).toBe(new Date(paidAt + 30 * dayMs).toISOString());
    expect(answers.filter((answer) => answer.action === 'renewed')).toHaveLength(1);
    const records = await e2e.records();
    expect(
      records.filter((record) => record.kind === 'license' && record.action === 'extended'),
    ).toHaveLength(1);
  });

  it('a signed sale whose audit record would exceed 1 MiB: a 4xx that writes nothing', async () => {
    const e2e = await setup('stripe');
    // 600 kB of product id fits the 1 MiB body, but the purchase record carries it twice (productId and
    // productName), over jsonlPurchaseLog's 1 MiB record limit.
    const event = stripeCheckoutCompletedEvent({
      email,
      productId: 'p'.repeat(600_000),
      created: e2e.clock(),
    });
    const response = await e2e.handle(
      await stripeWebhookRequest(event, stripeSecret, { timestamp: e2e.clock() }),
    );
    // Purchase fields are bounded (256 characters for ids), so this is refused before anything is written.
    expect(response.status).toBe(400);
    expect(await e2e.licenses()).toEqual([]);
  });
});

describe('Paddle end to end on fileStorage()', () => {
  it('chargeback warning then its reversal: SUSPENDED, then valid again', async () => {
    const e2e = await setup('paddle');
    const sale = await storeSale('paddle', e2e.clock);
    const { licenseKey } = await e2e.send(await sale.request());
    const sign = (payload: object) => paddleWebhookRequest(payload, paddleSecret, { timestamp: e2e.clock() });
    expect(await e2e.send(await sign(paddleAdjustment('chargeback_warning', 'adj_w')))).toMatchObject({
      action: 'suspended',
    });
    expect((await e2e.manager.validate(licenseKey!)).code).toBe('SUSPENDED');
    expect(await e2e.send(await sign(paddleAdjustment('chargeback_warning_reverse', 'adj_r')))).toMatchObject(
      {
        action: 'reinstated',
      },
    );
    expect((await e2e.manager.validate(licenseKey!)).code).toBe('VALID');
  });
});
