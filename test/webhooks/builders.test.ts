import { createHmac, createVerify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createWebhookHandler,
  gumroad,
  isLicenseKitError,
  LicenseManager,
  lemonSqueezy,
  memoryStorage,
  type PurchaseEvent,
  paddle,
  paypal,
  type Storage,
  stripe,
  type WebhookProvider,
} from '../../src/index.js';
import {
  defaultPayPalTestCertUrl,
  fakeClock,
  gumroadPingRequest,
  gumroadSaleFields,
  lemonSqueezyOrderCreatedEvent,
  lemonSqueezySubscriptionCreatedEvent,
  lemonSqueezySubscriptionPaymentEvent,
  lemonSqueezyWebhookRequest,
  memoryMailer,
  paddleTransactionCompletedEvent,
  paddleWebhookRequest,
  paypalCaptureCompletedEvent,
  paypalTestCredentials,
  paypalWebhookRequest,
  stripeCheckoutCompletedEvent,
  stripeEvent,
  stripeWebhookRequest,
} from '../../src/testing.js';
import { crc32 } from '../../src/webhooks/_crc32.js';

const now = new Date('2025-03-01T10:00:00.000Z');
const nowSeconds = now.getTime() / 1000;
const at = now.toISOString();
const clock = () => now;

const stripeSecret = 'whsec_builder_test';
const lemonSecret = 'ls_builder_test';
const paddleSecret = 'pdl_ntfset_builder_test';
const gumroadToken = 'gumroad-builder-token-0123456789';
const webhookId = 'WH-BUILDER-0001';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
/** A key and certificate made by openssl, to check PEM keys and our certificates against an outside tool. */
const opensslKey = fixture('paypal-test-key.pem');
const opensslCertificate = fixture('paypal-test-cert.pem');

/** The purchase fields every builder's sale shares, with the store's own ones merged in. */
function sale(purchase: Partial<PurchaseEvent['purchase']>): PurchaseEvent['purchase'] {
  return {
    source: 'stripe',
    saleId: '',
    email: 'ada@example.com',
    customerName: '',
    customerId: null,
    productId: 'app',
    productName: 'app',
    tier: null,
    amount: 1000,
    currency: 'USD',
    quantity: 1,
    purchasedAt: at,
    isTest: false,
    isRecurring: false,
    subscriptionId: null,
    sourceLicenseKey: null,
    ...purchase,
  };
}

async function handlerFor(provider: WebhookProvider) {
  const storage: Storage = memoryStorage();
  const manager = new LicenseManager({ storage, clock: fakeClock(now), mailer: memoryMailer() });
  const handle = createWebhookHandler({ provider, manager, onError: () => undefined });
  const written = async () => {
    let n = 0;
    for await (const _ of storage.purchases.scan()) n++;
    for await (const _ of storage.licenses.list()) n++;
    return n;
  };
  return { handle, written };
}

describe('stripeWebhookRequest', () => {
  const event = stripeCheckoutCompletedEvent({
    email: ' Ada@Example.com ',
    productId: 'app',
    amount: 4900,
    currency: 'eur',
    paymentIntent: 'pi_123',
    customerName: 'Ada Buyer',
    eventId: 'evt_123',
    created: now,
  });
  const provider = stripe({ signingSecret: stripeSecret, clock });

  it('passes stripe() and yields the sale', async () => {
    const request = await stripeWebhookRequest(event, stripeSecret, { timestamp: now });
    expect(await provider.parse(request)).toEqual({
      type: 'sale',
      eventId: 'evt_123',
      occurredAt: at,
      purchase: sale({
        saleId: 'pi_123',
        customerName: 'Ada Buyer',
        amount: 4900,
        currency: 'EUR',
      }),
    });
  });

  it('sends the JSON exactly as signed, with the header Stripe documents', async () => {
    const request = await stripeWebhookRequest(event, stripeSecret, { timestamp: now });
    const body = await request.text();
    expect(body).toBe(JSON.stringify(event));
    const oracle = createHmac('sha256', stripeSecret).update(`${nowSeconds}.${body}`).digest('hex');
    expect(request.headers.get('stripe-signature')).toBe(`t=${nowSeconds},v1=${oracle}`);
    expect(request.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect([request.method, request.url]).toEqual(['POST', 'https://example.com/webhooks/stripe']);
  });

  it('signs a raw string or bytes as given (e.g. pretty-printed JSON)', async () => {
    const pretty = JSON.stringify(event, null, 2);
    for (const body of [pretty, new TextEncoder().encode(pretty)]) {
      const request = await stripeWebhookRequest(body, stripeSecret, { timestamp: now });
      expect(await request.clone().text()).toBe(pretty);
      expect((await provider.parse(request))?.eventId).toBe('evt_123');
    }
  });

  it('takes the timestamp as a Date or Unix seconds, and refuses milliseconds', async () => {
    const byDate = await stripeWebhookRequest(event, stripeSecret, { timestamp: now });
    const bySeconds = await stripeWebhookRequest(event, stripeSecret, { timestamp: nowSeconds });
    expect(bySeconds.headers.get('stripe-signature')).toBe(byDate.headers.get('stripe-signature'));
    await expect(stripeWebhookRequest(event, stripeSecret, { timestamp: now.getTime() })).rejects.toSatisfy(
      (error) => isLicenseKitError(error, 'INVALID_INPUT'),
    );
    const stale = await stripeWebhookRequest(event, stripeSecret, { timestamp: nowSeconds - 301 });
    await expect(provider.parse(stale)).rejects.toMatchObject({ code: 'WEBHOOK_TIMESTAMP_OUT_OF_RANGE' });
  });

  it('defaults the timestamp to now, for providers on the system clock', async () => {
    const request = await stripeWebhookRequest(event, stripeSecret);
    expect((await stripe({ signingSecret: stripeSecret }).parse(request))?.eventId).toBe('evt_123');
  });

  it('takes a URL and extra headers', async () => {
    const request = await stripeWebhookRequest(event, stripeSecret, {
      timestamp: now,
      url: 'https://shop.example/hooks/stripe?x=1',
      headers: { 'Content-Type': 'application/json', 'user-agent': 'Stripe/1.0' },
    });
    expect(request.url).toBe('https://shop.example/hooks/stripe?x=1');
    expect(request.headers.get('content-type')).toBe('application/json');
    expect(request.headers.get('user-agent')).toBe('Stripe/1.0');
  });

  it('builds a subscription checkout and other events around a session', async () => {
    const subscription = stripeCheckoutCompletedEvent({
      email: 'ada@example.com',
      productId: 'app',
      subscription: 'sub_9',
      created: now,
    });
    const parsed = await provider.parse(
      await stripeWebhookRequest(subscription, stripeSecret, { timestamp: now }),
    );
    expect(parsed?.purchase).toMatchObject({ saleId: 'sub_9', subscriptionId: 'sub_9', isRecurring: true });
    const async = stripeEvent('checkout.session.async_payment_succeeded', event.data.object, {
      eventId: 'evt_2',
    });
    const later = await provider.parse(await stripeWebhookRequest(async, stripeSecret, { timestamp: now }));
    expect([later?.type, later?.eventId, later?.purchase.saleId]).toEqual(['sale', 'evt_2', 'pi_123']);
  });

  it('livemode: false is a test purchase', async () => {
    const test = stripeCheckoutCompletedEvent({ email: 'a@b.co', productId: 'app', livemode: false });
    const parsed = await provider.parse(await stripeWebhookRequest(test, stripeSecret, { timestamp: now }));
    expect(parsed?.purchase.isTest).toBe(true);
  });

  it('refuses an empty secret', async () => {
    await expect(stripeWebhookRequest(event, '')).rejects.toSatisfy((error) =>
      isLicenseKitError(error, 'INVALID_INPUT'),
    );
  });
});

describe('lemonSqueezyWebhookRequest', () => {
  const payload = lemonSqueezyOrderCreatedEvent({
    email: 'Ada@Example.com',
    productId: 301,
    productName: 'App',
    variantName: 'Pro',
    total: 2900,
    orderId: 5001,
    customerName: 'Ada Buyer',
    createdAt: now,
  });

  it('an order edited in place into its refund, as the doc comment says, is the refund', async () => {
    const order = lemonSqueezyOrderCreatedEvent({ email: 'ada@example.com', productId: 301, total: 2900 });
    order.meta.event_name = 'order_refunded';
    Object.assign(order.data.attributes, { status: 'refunded', refunded: true, refunded_amount: 2900 });
    order.data.attributes.refunded_at = '2025-03-02T10:00:00.000Z'; // a string where the sale has null
    order.data.attributes.updated_at = '2025-03-02T10:00:00.000Z';
    const request = await lemonSqueezyWebhookRequest(order, lemonSecret);
    expect(await lemonSqueezy({ signingSecret: lemonSecret }).parse(request)).toMatchObject({
      type: 'refund',
      occurredAt: '2025-03-02T10:00:00.000Z',
      purchase: { amount: 2900 },
    });
  });

  it('passes lemonSqueezy() and yields the sale', async () => {
    const request = await lemonSqueezyWebhookRequest(payload, lemonSecret);
    expect(await lemonSqueezy({ signingSecret: lemonSecret }).parse(request)).toEqual({
      type: 'sale',
      eventId: `lemonsqueezy:order_created:5001:${at}`,
      occurredAt: at,
      purchase: sale({
        source: 'lemonsqueezy',
        saleId: '5001',
        customerName: 'Ada Buyer',
        customerId: expect.any(String),
        productId: '301',
        productName: 'App',
        tier: 'Pro',
        amount: 2900,
      }),
    });
  });

  it('builds subscription_created and subscription_payment_success bodies the provider reads', async () => {
    const provider = lemonSqueezy({ signingSecret: lemonSecret });
    const started = lemonSqueezySubscriptionCreatedEvent({
      email: 'Ada@Example.com',
      orderId: 5001,
      subscriptionId: 6001,
      productId: 301,
      quantity: 2,
      createdAt: now,
    });
    expect(await provider.parse(await lemonSqueezyWebhookRequest(started, lemonSecret))).toMatchObject({
      type: 'subscription_created',
      eventId: `lemonsqueezy:subscription_created:6001:${at}`,
      purchase: {
        saleId: '5001',
        subscriptionId: '6001',
        productId: '301',
        quantity: 2,
        email: 'ada@example.com',
      },
    });
    const paid = (billingReason?: string) =>
      lemonSqueezySubscriptionPaymentEvent({
        email: 'ada@example.com',
        subscriptionId: 6001,
        invoiceId: 8001,
        billingReason,
        total: 900,
        currency: 'eur',
        createdAt: now,
      });
    expect(await provider.parse(await lemonSqueezyWebhookRequest(paid(), lemonSecret))).toMatchObject({
      type: 'renewal',
      purchase: { saleId: '6001', subscriptionId: '6001', amount: 900, currency: 'EUR' },
    });
    expect(await provider.parse(await lemonSqueezyWebhookRequest(paid('initial'), lemonSecret))).toBeNull();
  });

  it('signs the raw body (independent HMAC) and names the event', async () => {
    const request = await lemonSqueezyWebhookRequest(payload, lemonSecret);
    const body = await request.text();
    expect(body).toBe(JSON.stringify(payload));
    expect(request.headers.get('x-signature')).toBe(
      createHmac('sha256', lemonSecret).update(body).digest('hex'),
    );
    expect(request.headers.get('x-event-name')).toBe('order_created');
    expect(request.headers.get('content-type')).toBe('application/json');
    const renamed = await lemonSqueezyWebhookRequest(JSON.stringify(payload), lemonSecret, {
      eventName: 'custom',
    });
    expect(renamed.headers.get('x-event-name')).toBe('custom');
    const unnamed = await lemonSqueezyWebhookRequest('not json', lemonSecret);
    expect(unnamed.headers.has('x-event-name')).toBe(false);
  });
});

describe('paddleWebhookRequest', () => {
  const payload = paddleTransactionCompletedEvent({
    email: 'Ada@Example.com',
    productId: 'pro_01',
    productName: 'App',
    amount: 4900,
    transactionId: 'txn_01',
    eventId: 'evt_01',
    occurredAt: now,
  });
  const provider = paddle({ secret: paddleSecret, clock });

  it('passes paddle() and yields the sale', async () => {
    const request = await paddleWebhookRequest(payload, paddleSecret, { timestamp: now });
    expect(await provider.parse(request)).toEqual({
      type: 'sale',
      eventId: 'evt_01',
      occurredAt: at,
      purchase: sale({
        source: 'paddle',
        saleId: 'txn_01',
        customerId: expect.any(String),
        productId: 'pro_01',
        productName: 'App',
        amount: 4900,
      }),
    });
  });

  it('signs `<ts>:<body>` (independent HMAC) and Paddle’s 5 s tolerance applies', async () => {
    const request = await paddleWebhookRequest(payload, paddleSecret, { timestamp: now });
    const body = await request.text();
    const oracle = createHmac('sha256', paddleSecret).update(`${nowSeconds}:${body}`).digest('hex');
    expect(request.headers.get('paddle-signature')).toBe(`ts=${nowSeconds};h1=${oracle}`);
    const late = await paddleWebhookRequest(payload, paddleSecret, { timestamp: nowSeconds - 6 });
    await expect(provider.parse(late)).rejects.toMatchObject({ code: 'WEBHOOK_TIMESTAMP_OUT_OF_RANGE' });
  });
});

describe('gumroadPingRequest', () => {
  const fields = gumroadSaleFields({
    email: ' Ada@Example.com ',
    productId: 'prod-1',
    productName: 'App',
    price: 2900,
    saleId: 'sale-1',
    sellerId: 'seller-1',
    fullName: 'Ada Buyer',
    saleTimestamp: now,
    licenseKey: 'GUM-KEY-1',
  });

  it('passes gumroad() and yields the sale', async () => {
    const request = await gumroadPingRequest(fields, { token: gumroadToken });
    expect(await gumroad({ token: gumroadToken, sellerId: 'seller-1' }).parse(request)).toEqual({
      type: 'sale',
      eventId: 'gumroad:sale-1:sale',
      occurredAt: at,
      purchase: sale({
        source: 'gumroad',
        saleId: 'sale-1',
        customerName: 'Ada Buyer',
        productId: 'prod-1',
        productName: 'App',
        amount: 2900,
        sourceLicenseKey: 'GUM-KEY-1',
      }),
    });
  });

  it('form-encodes the fields and appends the token, keeping the URL’s query', async () => {
    const request = await gumroadPingRequest(fields, {
      token: 'a b&c',
      url: 'https://shop.example/ping?store=1',
    });
    expect(request.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(await request.text()))).toEqual(fields);
    const url = new URL(request.url);
    expect([url.searchParams.get('store'), url.searchParams.get('token')]).toEqual(['1', 'a b&c']);
    const bare = await gumroadPingRequest(fields);
    expect(bare.url).toBe('https://example.com/webhooks/gumroad');
  });

  it('builds a refund from the sale’s fields', async () => {
    const refund = await gumroadPingRequest(
      { ...fields, resource_name: 'refund', refunded: 'true' },
      { token: gumroadToken },
    );
    const parsed = await gumroad({ token: gumroadToken }).parse(refund);
    expect([parsed?.type, parsed?.purchase.saleId]).toEqual(['refund', 'sale-1']);
  });
});

describe('paypalWebhookRequest and paypalTestCredentials', () => {
  const event = paypalCaptureCompletedEvent({
    email: 'Ada@Example.com',
    productId: 'app',
    amount: 2399,
    captureId: 'CAPTURE1',
    eventId: 'WH-EVENT-1',
    createTime: now,
  });

  it('passes paypal() with the generated credentials and yields the sale', async () => {
    const credentials = await paypalTestCredentials();
    const provider = paypal({ webhookId, verify: { getCertificate: credentials.getCertificate } });
    const request = await paypalWebhookRequest(event, { ...credentials, webhookId });
    expect(await provider.parse(request)).toEqual({
      type: 'sale',
      eventId: 'WH-EVENT-1',
      occurredAt: at,
      purchase: sale({ source: 'paypal', saleId: 'CAPTURE1', amount: 2399 }),
    });
  });

  it('makes a certificate that Node reads, self-signed, for the private key', async () => {
    const credentials = await paypalTestCredentials();
    const certificate = new X509Certificate(credentials.certificate);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.subject).toContain('licensekit PayPal test');
    expect(credentials.certUrl).toBe(defaultPayPalTestCertUrl);
    await expect(credentials.getCertificate(credentials.certUrl)).resolves.toBe(credentials.certificate);
    // Another URL gets what PayPal's error response should give: '' (not a certificate: a 401).
    await expect(credentials.getCertificate('https://api.paypal.com/other')).resolves.toBe('');
    const forged = await paypalWebhookRequest(event, {
      ...credentials,
      webhookId,
      certUrl: 'https://api.paypal.com/v1/notifications/certs/CERT-forged',
    });
    const provider = paypal({ webhookId, verify: { getCertificate: credentials.getCertificate } });
    await expect(provider.parse(forged)).rejects.toSatisfy((error) =>
      isLicenseKitError(error, 'WEBHOOK_UNAUTHORIZED'),
    );

    const request = await paypalWebhookRequest(event, {
      ...credentials,
      webhookId,
      transmissionId: 'tx-1',
      transmissionTime: now,
    });
    const body = await request.text();
    expect(body).toBe(JSON.stringify(event));
    const message = `tx-1|2025-03-01T10:00:00Z|${webhookId}|${crc32(new TextEncoder().encode(body))}`;
    const signature = request.headers.get('paypal-transmission-sig') ?? '';
    const verifier = createVerify('sha256').update(message);
    expect(verifier.verify(certificate.publicKey, signature, 'base64')).toBe(true);
    expect(Object.fromEntries(request.headers)).toMatchObject({
      'content-type': 'application/json',
      'paypal-transmission-id': 'tx-1',
      'paypal-transmission-time': '2025-03-01T10:00:00Z',
      'paypal-cert-url': defaultPayPalTestCertUrl,
      'paypal-auth-algo': 'SHA256withRSA',
    });
  });

  it('signs with a PKCS#8 PEM key (made by openssl) against its certificate', async () => {
    const certUrl = 'https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1';
    const provider = paypal({ webhookId, verify: { getCertificate: async () => opensslCertificate } });
    const request = await paypalWebhookRequest(event, { privateKey: opensslKey, webhookId, certUrl });
    expect(request.headers.get('paypal-cert-url')).toBe(certUrl);
    expect((await provider.parse(request))?.purchase.saleId).toBe('CAPTURE1');
    await expect(
      paypalWebhookRequest(event, { privateKey: '-----BEGIN RSA PRIVATE KEY-----\nAA==\n', webhookId }),
    ).rejects.toSatisfy((error) => isLicenseKitError(error, 'INVALID_INPUT'));
  });

  it('sandbox events are test purchases', async () => {
    const sandbox = paypalCaptureCompletedEvent({ email: 'a@b.co', productId: 'app', sandbox: true });
    const credentials = await paypalTestCredentials();
    const provider = paypal({ webhookId, verify: { getCertificate: credentials.getCertificate } });
    const parsed = await provider.parse(await paypalWebhookRequest(sandbox, { ...credentials, webhookId }));
    expect(parsed?.purchase.isTest).toBe(true);
  });
});

describe('every builder through createWebhookHandler', () => {
  const email = 'buyer@example.com';
  type Case = [
    string,
    () => Promise<{
      provider: WebhookProvider;
      good: Request;
      wrong: Request;
      wrongAgain: () => Promise<Request>;
    }>,
  ];
  const cases: Case[] = [
    [
      'stripe',
      async () => {
        const event = stripeCheckoutCompletedEvent({ email, productId: 'app' });
        return {
          provider: stripe({ signingSecret: stripeSecret, clock }),
          good: await stripeWebhookRequest(event, stripeSecret, { timestamp: now }),
          wrong: await stripeWebhookRequest(event, 'whsec_wrong', { timestamp: now }),
          wrongAgain: () => stripeWebhookRequest(event, `${stripeSecret}x`, { timestamp: now }),
        };
      },
    ],
    [
      'lemonsqueezy',
      async () => {
        const payload = lemonSqueezyOrderCreatedEvent({ email, productId: 301 });
        return {
          provider: lemonSqueezy({ signingSecret: lemonSecret }),
          good: await lemonSqueezyWebhookRequest(payload, lemonSecret),
          wrong: await lemonSqueezyWebhookRequest(payload, 'ls_wrong'),
          wrongAgain: () => lemonSqueezyWebhookRequest(payload, lemonSecret.toUpperCase()),
        };
      },
    ],
    [
      'paddle',
      async () => {
        const payload = paddleTransactionCompletedEvent({ email, productId: 'pro_01' });
        return {
          provider: paddle({ secret: paddleSecret, clock }),
          good: await paddleWebhookRequest(payload, paddleSecret, { timestamp: now }),
          wrong: await paddleWebhookRequest(payload, 'pdl_ntfset_wrong', { timestamp: now }),
          wrongAgain: () => paddleWebhookRequest(payload, `${paddleSecret}_`, { timestamp: now }),
        };
      },
    ],
    [
      'gumroad',
      async () => {
        const fields = gumroadSaleFields({ email, productId: 'prod-1' });
        return {
          provider: gumroad({ token: gumroadToken }),
          good: await gumroadPingRequest(fields, { token: gumroadToken }),
          wrong: await gumroadPingRequest(fields, { token: 'wrong' }),
          wrongAgain: () => gumroadPingRequest(fields),
        };
      },
    ],
    [
      'paypal',
      async () => {
        const event = paypalCaptureCompletedEvent({ email, productId: 'app' });
        const credentials = await paypalTestCredentials();
        const impostor = await paypalTestCredentials();
        return {
          provider: paypal({ webhookId, verify: { getCertificate: credentials.getCertificate } }),
          good: await paypalWebhookRequest(event, { ...credentials, webhookId }),
          wrong: await paypalWebhookRequest(event, { ...impostor, webhookId }),
          wrongAgain: () => paypalWebhookRequest(event, { ...credentials, webhookId: 'WH-SOMEONE-ELSE' }),
        };
      },
    ],
  ];

  it.each(cases)(
    '%s: the signed request is 200 created; a wrong secret is 401 and writes nothing',
    async (_, make) => {
      const { provider, good, wrong, wrongAgain } = await make();
      const { handle, written } = await handlerFor(provider);
      for (const request of [wrong, await wrongAgain()]) {
        const response = await handle(request);
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ error: 'unauthorized' });
      }
      expect(await written()).toBe(0);
      const response = await handle(good);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ action: 'created', licenseKey: expect.any(String) });
    },
  );
});
