import { createHash, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  createWebhookHandler,
  isLicenseKitError,
  LicenseManager,
  memoryStorage,
  NormalizationError,
  normalizePayPalEvent,
  paypal,
  safeNormalizePayPalEvent,
  verifyPayPalSignature,
  WebhookVerificationError,
} from '../../src/index.js';
import { fakeClock } from '../../src/testing.js';
import { crc32 } from '../../src/webhooks/_crc32.js';
import { rememberedTransmissions, transmissionGuard } from '../../src/webhooks/_transmission-guard.js';
import { pemCertificateToDer, subjectPublicKeyInfo } from '../../src/webhooks/_x509.js';
import { rejection } from './_signature-cases.js';
import { payPalJavaSdkVector as vector } from './fixtures/paypal-java-sdk-vector.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
/** Our own self-signed certificate and key (openssl req -x509 -newkey rsa:2048, CN "licensekit test"). */
const ownCertificate = fixture('paypal-test-cert.pem');
const ownKey = fixture('paypal-test-key.pem');

const webhookId = '8PT597110X687430LKGECATA';
const certUrl = 'https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77';
const utf8 = (text: string) => new TextEncoder().encode(text);

/** Headers PayPal would send for `body`, signed with our own key; each body has its own transmission id. */
function signedHeaders(
  body: string,
  overrides: Record<string, string> = {},
  signedWebhookId = webhookId,
): Record<string, string> {
  const transmissionId = `3f2e1d00-0b1c-11ef-9a3b-${createHash('sha256').update(body).digest('hex').slice(0, 12)}`;
  const transmissionTime = '2024-05-06T07:08:09Z';
  const message = `${transmissionId}|${transmissionTime}|${signedWebhookId}|${crc32(utf8(body))}`;
  return {
    'content-type': 'application/json',
    'paypal-transmission-id': transmissionId,
    'paypal-transmission-time': transmissionTime,
    'paypal-transmission-sig': sign('sha256', utf8(message), ownKey).toString('base64'),
    'paypal-cert-url': certUrl,
    'paypal-auth-algo': 'SHA256withRSA',
    ...overrides,
  };
}

const serve = (pem: string) => vi.fn(async (_url: string) => pem);

function envelope(
  eventType: string,
  resourceType: string,
  resource: Record<string, unknown>,
  id = 'WH-1AB23456CD789012E-3FG45678HJ901234K',
) {
  return {
    id,
    event_version: '1.0',
    create_time: '2024-05-06T07:08:05.123Z',
    resource_type: resourceType,
    resource_version: '2.0',
    event_type: eventType,
    summary: 'written for licensekit tests',
    resource,
    links: [
      {
        href: `https://api.sandbox.paypal.com/v1/notifications/webhooks-events/${id}`,
        rel: 'self',
        method: 'GET',
      },
      {
        href: `https://api.sandbox.paypal.com/v1/notifications/webhooks-events/${id}/resend`,
        rel: 'resend',
        method: 'POST',
      },
    ],
  };
}

const customId = 'product=pixel-forge&email=Ana.Buyer%40Example.com&tier=Studio';

function captureCompleted(resource: Record<string, unknown> = {}) {
  return envelope('PAYMENT.CAPTURE.COMPLETED', 'capture', {
    id: '4HT81127AB623541X',
    status: 'COMPLETED',
    amount: { currency_code: 'USD', value: '23.99' },
    final_capture: true,
    seller_protection: { status: 'ELIGIBLE', dispute_categories: ['ITEM_NOT_RECEIVED'] },
    seller_receivable_breakdown: {
      gross_amount: { currency_code: 'USD', value: '23.99' },
      paypal_fee: { currency_code: 'USD', value: '1.19' },
      net_amount: { currency_code: 'USD', value: '22.80' },
    },
    custom_id: customId,
    invoice_id: 'INV-2024-0001',
    supplementary_data: { related_ids: { order_id: '5RT19021YU738402C' } },
    create_time: '2024-05-06T07:08:01Z',
    update_time: '2024-05-06T07:08:01Z',
    links: [
      {
        href: 'https://api.sandbox.paypal.com/v2/payments/captures/4HT81127AB623541X',
        rel: 'self',
        method: 'GET',
      },
      {
        href: 'https://api.sandbox.paypal.com/v2/checkout/orders/5RT19021YU738402C',
        rel: 'up',
        method: 'GET',
      },
    ],
    ...resource,
  });
}

function captureRefunded(resource: Record<string, unknown> = {}) {
  return envelope(
    'PAYMENT.CAPTURE.REFUNDED',
    'refund',
    {
      id: '9KL60523MN184730P',
      status: 'COMPLETED',
      amount: { currency_code: 'USD', value: '23.99' },
      seller_payable_breakdown: {
        gross_amount: { currency_code: 'USD', value: '23.99' },
        net_amount: { currency_code: 'USD', value: '23.99' },
        total_refunded_amount: { currency_code: 'USD', value: '23.99' },
      },
      custom_id: customId,
      create_time: '2024-05-08T12:00:00Z',
      links: [
        {
          href: 'https://api.sandbox.paypal.com/v2/payments/refunds/9KL60523MN184730P',
          rel: 'self',
          method: 'GET',
        },
        {
          href: 'https://api.sandbox.paypal.com/v2/payments/captures/4HT81127AB623541X',
          rel: 'up',
          method: 'GET',
        },
      ],
      ...resource,
    },
    'WH-7QR12345ST678901U-2VW34567XY890123Z',
  );
}

/** The part of a dispute resource these tests take apart. */
interface DisputeResource {
  disputed_transactions: Record<string, unknown>[];
  [field: string]: unknown;
}

function dispute(eventType: string, resource: Record<string, unknown> = {}) {
  return envelope(
    eventType,
    'dispute',
    {
      dispute_id: 'PP-D-40123',
      create_time: '2024-05-20T09:00:00.000Z',
      update_time: '2024-05-20T09:00:00.000Z',
      reason: 'MERCHANDISE_OR_SERVICE_NOT_RECEIVED',
      status: 'OPEN',
      dispute_life_cycle_stage: 'INQUIRY',
      dispute_channel: 'INTERNAL',
      dispute_amount: { currency_code: 'USD', value: '23.99' },
      disputed_transactions: [
        {
          seller_transaction_id: '4HT81127AB623541X',
          create_time: '2024-05-06T07:08:01Z',
          transaction_status: 'COMPLETED',
          gross_amount: { currency_code: 'USD', value: '23.99' },
          custom: customId,
          invoice_number: 'INV-2024-0001',
          seller: { merchant_id: 'M3RCH4NT1D', name: 'Pixel Forge Ltd' },
        },
      ],
      messages: [],
      links: [],
      ...resource,
    },
    eventType === 'CUSTOMER.DISPUTE.CREATED' ? 'WH-DISPUTE-CREATED-0001' : 'WH-DISPUTE-RESOLVED-0001',
  );
}

function post(body: string | Uint8Array, headers: Record<string, string>): Request {
  return new Request('https://shop.example/webhooks/paypal', {
    method: 'POST',
    headers,
    body: body as BodyInit,
  });
}

/**
 * `bytes` with some of bits 0..4 of the bytes in [from, to) flipped so that its CRC-32 is `target`:
 * CRC-32 is linear over GF(2), so this solves a linear system (Gaussian elimination). Bytes in
 * 0x60..0x7f stay there, so a JSON string of them stays valid JSON.
 */
function forgeCrc32(bytes: Uint8Array, from: number, to: number, target: number): Uint8Array {
  const base = crc32(bytes);
  const flips: { pos: number; bit: number }[] = [];
  for (let pos = from; pos < to; pos++) for (let bit = 0; bit < 5; bit++) flips.push({ pos, bit });
  // Each basis row: the CRC-32 difference it makes, and which flips (a bit mask over `flips`) make it.
  const basis: { delta: number; mask: bigint }[] = [];
  flips.forEach(({ pos, bit }, i) => {
    const flipped = bytes.slice();
    flipped[pos]! ^= 1 << bit;
    let delta = (crc32(flipped) ^ base) >>> 0;
    let mask = 1n << BigInt(i);
    for (const row of basis) {
      if ((delta ^ row.delta) >>> 0 < delta) {
        delta = (delta ^ row.delta) >>> 0;
        mask ^= row.mask;
      }
    }
    if (delta !== 0) {
      basis.push({ delta, mask });
      basis.sort((a, b) => b.delta - a.delta);
    }
  });
  let need = (base ^ target) >>> 0;
  let chosen = 0n;
  for (const row of basis) {
    if ((need ^ row.delta) >>> 0 < need) {
      need = (need ^ row.delta) >>> 0;
      chosen ^= row.mask;
    }
  }
  if (need !== 0) throw new Error('no CRC-32 forgery in that range');
  const forged = bytes.slice();
  flips.forEach(({ pos, bit }, i) => {
    if ((chosen >> BigInt(i)) & 1n) forged[pos]! ^= 1 << bit;
  });
  return forged;
}

describe('crc32', () => {
  it.each([
    ['', 0],
    ['a', 0xe8b7be43],
    ['123456789', 0xcbf43926],
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ])('crc32(%j)', (text, expected) => {
    expect(crc32(utf8(text))).toBe(expected);
  });

  it('is unsigned above 2^31 (the PayPal vector body)', () => {
    expect(crc32(utf8(vector.body))).toBe(vector.crc32);
    expect(vector.crc32).toBeGreaterThan(2 ** 31);
  });
});

describe('certificate → SubjectPublicKeyInfo', () => {
  it.each([
    ['our own certificate', ownCertificate],
    ['PayPal’s test certificate', vector.certificate],
  ])('matches what Node extracts from %s', (_, pem) => {
    const expected = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
    expect(Buffer.from(subjectPublicKeyInfo(pemCertificateToDer(pem)))).toEqual(expected);
  });
});

describe('verifyPayPalSignature', () => {
  it('passes PayPal’s published Java SDK vector (offline scheme, expired sandbox certificate)', async () => {
    const getCertificate = serve(vector.certificate);
    await expect(
      verifyPayPalSignature({
        payload: vector.body,
        headers: vector.headers,
        webhookId: vector.webhookId,
        getCertificate,
      }),
    ).resolves.toBeUndefined();
    expect(getCertificate).toHaveBeenCalledWith(vector.headers['paypal-cert-url']);
    await expect(
      verifyPayPalSignature({
        payload: utf8(vector.body),
        headers: new Headers(vector.headers),
        webhookId: vector.webhookId,
        getCertificate,
      }),
    ).resolves.toBeUndefined();
  });

  it('the vector fails with one flipped body byte or another webhook id', async () => {
    const bytes = utf8(vector.body);
    bytes[40] = bytes[40]! ^ 0x01;
    const getCertificate = serve(vector.certificate);
    const options = { headers: vector.headers, webhookId: vector.webhookId, getCertificate };
    await expect(verifyPayPalSignature({ ...options, payload: bytes })).rejects.toBeInstanceOf(
      WebhookVerificationError,
    );
    await expect(
      verifyPayPalSignature({ ...options, payload: vector.body, webhookId: '96605875FF6516634' }),
    ).rejects.toBeInstanceOf(WebhookVerificationError);
  });

  const body = JSON.stringify(captureCompleted());
  const verifyOwn = (overrides: Partial<Parameters<typeof verifyPayPalSignature>[0]> = {}) =>
    verifyPayPalSignature({
      payload: body,
      headers: signedHeaders(body),
      webhookId,
      getCertificate: serve(ownCertificate),
      ...overrides,
    });

  it('passes with our own certificate and key', async () => {
    await expect(verifyOwn()).resolves.toBeUndefined();
  });

  it('fails for every single flipped byte position tried, and for a wrong webhook id', async () => {
    for (const position of [0, 1, body.length >> 1, body.length - 1]) {
      const bytes = utf8(body);
      bytes[position] = bytes[position]! ^ 0x20;
      await expect(verifyOwn({ payload: bytes })).rejects.toBeInstanceOf(WebhookVerificationError);
    }
    await expect(verifyOwn({ webhookId: 'SOMEONE-ELSES-WEBHOOK' })).rejects.toBeInstanceOf(
      WebhookVerificationError,
    );
  });

  it.each([
    'https://evil.example/v1/notifications/certs/CERT-1',
    'http://api.paypal.com/v1/notifications/certs/CERT-1',
    'https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1',
    'https://evil.example/api.paypal.com/CERT-1',
    'https://user:pass@api.paypal.com/v1/notifications/certs/CERT-1',
    'https://api.paypal.com:8443/v1/notifications/certs/CERT-1',
    'https://www.paypal.com/v1/notifications/certs/CERT-1',
    'https://paypal.com/v1/notifications/certs/CERT-1',
    'file:///etc/passwd',
    'not a url',
  ])('rejects the certificate URL %s without fetching it', async (url) => {
    const getCertificate = serve(ownCertificate);
    const error = await rejection(
      verifyOwn({ headers: signedHeaders(body, { 'paypal-cert-url': url }), getCertificate }),
    );
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect(getCertificate).not.toHaveBeenCalled();
  });

  it.each(['api.paypal.com', 'api-m.paypal.com', 'api.sandbox.paypal.com', 'api-m.sandbox.paypal.com'])(
    'fetches certificates from %s',
    async (host) => {
      const url = `https://${host}/v1/notifications/certs/CERT-1`;
      const getCertificate = serve(ownCertificate);
      await verifyOwn({ headers: signedHeaders(body, { 'paypal-cert-url': url }), getCertificate });
      expect(getCertificate).toHaveBeenCalledWith(url);
    },
  );

  it.each(['SHA1withRSA', 'sha256withrsa', 'SHA256withECDSA', 'none'])(
    'rejects PAYPAL-AUTH-ALGO %s without fetching',
    async (algo) => {
      const getCertificate = serve(ownCertificate);
      await expect(
        verifyOwn({ headers: signedHeaders(body, { 'paypal-auth-algo': algo }), getCertificate }),
      ).rejects.toBeInstanceOf(WebhookVerificationError);
      expect(getCertificate).not.toHaveBeenCalled();
    },
  );

  it.each([
    'paypal-transmission-id',
    'paypal-transmission-time',
    'paypal-transmission-sig',
    'paypal-cert-url',
    'paypal-auth-algo',
  ])('rejects a request without %s', async (name) => {
    const headers = signedHeaders(body);
    delete headers[name];
    await expect(verifyOwn({ headers })).rejects.toBeInstanceOf(WebhookVerificationError);
  });

  it.each([
    ['garbage base64', '%%%not-base64%%%'],
    ['base64 of the wrong length', 'AAAA'],
    ['an empty-looking signature', '===='],
    ['another message’s signature', sign('sha256', utf8('other'), ownKey).toString('base64')],
  ])('rejects %s as the signature', async (_, signature) => {
    await expect(
      verifyOwn({ headers: signedHeaders(body, { 'paypal-transmission-sig': signature }) }),
    ).rejects.toBeInstanceOf(WebhookVerificationError);
  });

  it.each([
    ['not PEM', 'hello'],
    ['PEM with junk inside', '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----'],
    ['PEM that is not DER', '-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----'],
    ['a truncated certificate', ownCertificate.replace(/\n[^\n]+\n-----END/, '\n-----END')],
    ['someone else’s certificate', vector.certificate],
  ])('rejects %s as the certificate', async (_, pem) => {
    await expect(verifyOwn({ getCertificate: serve(pem) })).rejects.toBeInstanceOf(WebhookVerificationError);
  });

  it('a getCertificate that throws is WEBHOOK_VERIFIER_UNAVAILABLE, not a verdict on the signature', async () => {
    const cause = new TypeError('fetch failed');
    const error = await rejection(
      verifyOwn({
        getCertificate: async () => {
          throw cause;
        },
      }),
    );
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect(error).toMatchObject({ code: 'WEBHOOK_VERIFIER_UNAVAILABLE', cause });
    expect((error as Error).message).not.toContain(signedHeaders(body)['paypal-transmission-sig']);
  });

  it('a certificate that was fetched but is nonsense is WEBHOOK_UNAUTHORIZED', async () => {
    const error = await rejection(verifyOwn({ getCertificate: async () => 42 as unknown as string }));
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect(error).toMatchObject({ code: 'WEBHOOK_UNAUTHORIZED' });
  });

  it('checks the transmission time only when now is given', async () => {
    const sentAt = new Date('2024-05-06T07:08:09Z');
    await expect(verifyOwn({ now: new Date(sentAt.getTime() + 299_000) })).resolves.toBeUndefined();
    await expect(verifyOwn({ now: new Date(sentAt.getTime() - 299_000) })).resolves.toBeUndefined();
    const stale = await rejection(verifyOwn({ now: new Date(sentAt.getTime() + 301_000) }));
    expect(isLicenseKitError(stale, 'WEBHOOK_TIMESTAMP_OUT_OF_RANGE')).toBe(true);
    expect(stale).toBeInstanceOf(WebhookVerificationError);
    await expect(
      verifyOwn({ now: new Date(sentAt.getTime() + 3_000_000), toleranceSeconds: 3600 }),
    ).resolves.toBeUndefined();
    await expect(verifyOwn({ now: new Date(Number.NaN) })).rejects.toBeInstanceOf(WebhookVerificationError);
    for (const toleranceSeconds of [Number.NaN, -1, '300' as unknown as number]) {
      await expect(verifyOwn({ now: sentAt, toleranceSeconds })).rejects.toMatchObject({
        code: 'WEBHOOK_UNAUTHORIZED',
      });
    }
    await expect(
      verifyOwn({ now: new Date(0), toleranceSeconds: Number.POSITIVE_INFINITY }),
    ).resolves.toBeUndefined();
  });

  it('never rejects with anything but WebhookVerificationError, and never leaks the signature', async () => {
    const headerNames = [
      'paypal-transmission-id',
      'paypal-transmission-time',
      'paypal-transmission-sig',
      'paypal-cert-url',
      'paypal-auth-algo',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...headerNames),
        fc.string({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 64 }),
        async (name, value, payload) => {
          const headers = { ...signedHeaders(body), [name]: value };
          const error = await rejection(verifyOwn({ headers, payload }));
          expect(error).toBeInstanceOf(WebhookVerificationError);
          expect((error as Error).message).not.toContain(signedHeaders(body)['paypal-transmission-sig']);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('normalizePayPalEvent', () => {
  it('maps PAYMENT.CAPTURE.COMPLETED to a sale of the capture', () => {
    expect(normalizePayPalEvent(captureCompleted())).toEqual({
      type: 'sale',
      eventId: 'WH-1AB23456CD789012E-3FG45678HJ901234K',
      occurredAt: '2024-05-06T07:08:05.123Z',
      purchase: {
        source: 'paypal',
        saleId: '4HT81127AB623541X',
        email: 'ana.buyer@example.com',
        customerName: '',
        customerId: null,
        productId: 'pixel-forge',
        productName: 'pixel-forge',
        tier: 'Studio',
        amount: 2399,
        currency: 'USD',
        quantity: 1,
        purchasedAt: '2024-05-06T07:08:01Z',
        isTest: true,
        isRecurring: false,
        subscriptionId: null,
        sourceLicenseKey: null,
      },
    });
  });

  it('takes a live event as real, and the payer’s email and name when the payload has them', () => {
    const live = captureCompleted({
      custom_id: 'pixel-forge',
      payer: {
        email_address: 'Bo@Example.com',
        payer_id: 'PAYER123',
        name: { given_name: 'Bo', surname: 'Chen' },
      },
    });
    live.links = live.links.map((link) => ({ ...link, href: link.href.replace('api.sandbox.', 'api.') }));
    expect(normalizePayPalEvent(live)?.purchase).toMatchObject({
      productId: 'pixel-forge',
      email: 'bo@example.com',
      customerName: 'Bo Chen',
      customerId: 'PAYER123',
      isTest: false,
      tier: null,
    });
  });

  it.each([
    ['JPY', '1500', 1500],
    ['KWD', '1.250', 1250],
    ['eur', '10', 1000],
  ])('converts %s %s to %i minor units', (currency, value, minor) => {
    const event = normalizePayPalEvent(captureCompleted({ amount: { currency_code: currency, value } }));
    expect(event?.purchase).toMatchObject({ amount: minor, currency: currency.toUpperCase() });
  });

  it('maps PAYMENT.CAPTURE.REFUNDED to a refund of the capture its up link names', () => {
    const event = normalizePayPalEvent(captureRefunded({ amount: { currency_code: 'USD', value: '5.00' } }));
    expect(event).toMatchObject({
      type: 'refund',
      eventId: 'WH-7QR12345ST678901U-2VW34567XY890123Z',
      purchase: {
        saleId: '4HT81127AB623541X',
        amount: 500,
        email: 'ana.buyer@example.com',
        productId: 'pixel-forge',
      },
    });
  });

  it('a refund or dispute without the order’s custom_id is filed under unknown, with no email', () => {
    // A refund made in PayPal's dashboard has no custom_id; one made through the API may have its
    // own (letters, digits and -_.,), which names no product.
    for (const custom_id of [undefined, 'REFUND-2024-17']) {
      expect(normalizePayPalEvent(captureRefunded({ custom_id }))?.purchase).toMatchObject({
        saleId: '4HT81127AB623541X',
        productId: 'unknown',
        email: '',
        amount: 2399,
      });
    }
    const [transaction] = (dispute('CUSTOMER.DISPUTE.CREATED').resource as DisputeResource)
      .disputed_transactions;
    const bare = { ...transaction, custom: undefined, buyer: { name: 'Ana' } };
    expect(
      normalizePayPalEvent(dispute('CUSTOMER.DISPUTE.CREATED', { disputed_transactions: [bare] }))?.purchase,
    ).toMatchObject({ saleId: '4HT81127AB623541X', productId: 'unknown', email: '', customerName: 'Ana' });
    // A sale still needs both: it makes the license.
    expect(safeNormalizePayPalEvent(captureCompleted({ custom_id: undefined })).success).toBe(false);
  });

  it('a refund without a link to its capture is a NormalizationError', () => {
    const result = safeNormalizePayPalEvent(captureRefunded({ links: [] }));
    expect(result.success).toBe(false);
    if (!result.success)
      expect(result.error.issues).toEqual([{ path: 'resource.links', message: expect.any(String) }]);
  });

  it('maps CUSTOMER.DISPUTE.CREATED to a dispute of the capture', () => {
    expect(normalizePayPalEvent(dispute('CUSTOMER.DISPUTE.CREATED'))).toMatchObject({
      type: 'dispute',
      eventId: 'WH-DISPUTE-CREATED-0001',
      purchase: { saleId: '4HT81127AB623541X', amount: 2399, purchasedAt: '2024-05-06T07:08:01Z' },
    });
  });

  it.each([
    ['RESOLVED_SELLER_FAVOUR', 'dispute_won'],
    ['CANCELED_BY_BUYER', 'dispute_won'],
    ['DENIED', 'dispute_won'],
    ['RESOLVED_WITH_PAYOUT', 'dispute_won'],
    ['RESOLVED_BUYER_FAVOUR', 'dispute_lost'],
    ['ACCEPTED', 'dispute_lost'],
  ])('maps a dispute resolved %s to %s', (outcome, type) => {
    const resolved = dispute('CUSTOMER.DISPUTE.RESOLVED', {
      status: 'RESOLVED',
      dispute_outcome: { outcome_code: outcome, amount_refunded: { currency_code: 'USD', value: '20.00' } },
    });
    const event = normalizePayPalEvent(resolved);
    expect(event?.type).toBe(type);
    expect(event?.purchase.amount).toBe(type === 'dispute_lost' ? 2000 : 2399);
  });

  it('a dispute resolved without a known outcome is not acted on', () => {
    expect(
      normalizePayPalEvent(
        dispute('CUSTOMER.DISPUTE.RESOLVED', { dispute_outcome: { outcome_code: 'NONE' } }),
      ),
    ).toBeNull();
    expect(normalizePayPalEvent(dispute('CUSTOMER.DISPUTE.RESOLVED'))).toBeNull();
  });

  it('other event types are not purchase events', () => {
    expect(normalizePayPalEvent(envelope('CHECKOUT.ORDER.APPROVED', 'checkout-order', {}))).toBeNull();
    expect(normalizePayPalEvent(JSON.parse(vector.body))).toBeNull();
    expect(normalizePayPalEvent(null)).toBeNull();
  });

  it('no buyer email anywhere is a NormalizationError pointing at custom_id', () => {
    const result = safeNormalizePayPalEvent(captureCompleted({ custom_id: 'pixel-forge' }));
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(result.error).toBeInstanceOf(NormalizationError);
      expect(result.error.issues).toEqual([
        { path: 'resource.custom_id', message: expect.stringContaining('email') },
      ]);
    }
  });

  it('no product is a NormalizationError; so are bad amounts and missing ids', () => {
    const issuesOf = (payload: unknown) => {
      const result = safeNormalizePayPalEvent(payload);
      return result.success ? [] : result.error.issues.map((issue) => issue.path);
    };
    expect(issuesOf(captureCompleted({ custom_id: undefined }))).toEqual(['resource.custom_id']);
    expect(issuesOf(captureCompleted({ custom_id: 'email=a%40b.c' }))).toEqual(['resource.custom_id']);
    expect(issuesOf(captureCompleted({ amount: { currency_code: 'USD', value: '23.999' } }))).toEqual([
      'resource.amount',
    ]);
    expect(issuesOf(captureCompleted({ id: '' }))).toEqual(['resource.id']);
    expect(issuesOf({ ...captureCompleted(), id: undefined })).toEqual(['id']);
    expect(issuesOf(dispute('CUSTOMER.DISPUTE.CREATED', { disputed_transactions: [] }))).toEqual([
      'resource.disputed_transactions',
    ]);
  });
});

describe('paypal() provider', () => {
  const body = JSON.stringify(captureCompleted());

  it('verifies offline, then parses', async () => {
    const provider = paypal({ webhookId, verify: { getCertificate: serve(ownCertificate) } });
    expect(provider.accepts).toEqual(['application/json']);
    expect(await provider.parse(post(body, signedHeaders(body)))).toEqual(
      normalizePayPalEvent(JSON.parse(body)),
    );
  });

  it('accepts the published vector (a plan event, so nothing to do)', async () => {
    const provider = paypal({
      webhookId: vector.webhookId,
      verify: { getCertificate: serve(vector.certificate) },
    });
    await expect(
      provider.parse(post(vector.body, { ...vector.headers, 'content-type': 'application/json' })),
    ).resolves.toBeNull();
  });

  it('a flipped byte, a wrong webhook id or a foreign cert URL is a 401 error', async () => {
    const getCertificate = serve(ownCertificate);
    const provider = paypal({ webhookId, verify: { getCertificate } });
    const flipped = body.replace('23.99', '93.99');
    await expect(provider.parse(post(flipped, signedHeaders(body)))).rejects.toBeInstanceOf(
      WebhookVerificationError,
    );
    await expect(provider.parse(post(body, signedHeaders(body, {}, 'OTHER')))).rejects.toBeInstanceOf(
      WebhookVerificationError,
    );
    getCertificate.mockClear();
    const foreign = signedHeaders(body, { 'paypal-cert-url': 'https://paypal.example.com/cert.pem' });
    await expect(provider.parse(post(body, foreign))).rejects.toBeInstanceOf(WebhookVerificationError);
    expect(getCertificate).not.toHaveBeenCalled();
  });

  it('a correctly signed body that is not JSON is a NormalizationError', async () => {
    const provider = paypal({ webhookId, verify: { getCertificate: serve(ownCertificate) } });
    await expect(provider.parse(post('not json', signedHeaders('not json')))).rejects.toBeInstanceOf(
      NormalizationError,
    );
  });

  it('applies toleranceSeconds against its clock', async () => {
    const options = { webhookId, verify: { getCertificate: serve(ownCertificate) }, toleranceSeconds: 60 };
    const fresh = paypal({ ...options, clock: () => new Date('2024-05-06T07:08:30Z') });
    await expect(fresh.parse(post(body, signedHeaders(body)))).resolves.toMatchObject({ type: 'sale' });
    const late = paypal({ ...options, clock: () => new Date('2024-05-06T08:08:30Z') });
    await expect(late.parse(post(body, signedHeaders(body)))).rejects.toMatchObject({
      code: 'WEBHOOK_TIMESTAMP_OUT_OF_RANGE',
    });
  });

  it('calls a custom verifier with the exact body text, the headers and the webhook id', async () => {
    const spaced = `{ "event_type" : "PAYMENT.CAPTURE.COMPLETED", ${body.slice(1)}`;
    const verify = vi.fn(async () => true);
    const provider = paypal({ webhookId, verify });
    const event = await provider.parse(
      post(spaced, { 'content-type': 'application/json', 'paypal-transmission-id': 't-1' }),
    );
    expect(event?.type).toBe('sale');
    const [request] = verify.mock.calls[0] as unknown as [
      { payload: string; headers: Headers; webhookId: string },
    ];
    expect(request.payload).toBe(spaced);
    expect(request.headers.get('paypal-transmission-id')).toBe('t-1');
    expect(request.webhookId).toBe(webhookId);
  });

  it('a custom verifier saying no is a 401 error; one that throws is passed through', async () => {
    const no = paypal({ webhookId, verify: async () => false });
    await expect(no.parse(post(body, {}))).rejects.toBeInstanceOf(WebhookVerificationError);
    const down = paypal({
      webhookId,
      verify: async () => {
        throw new TypeError('PayPal unreachable');
      },
    });
    await expect(down.parse(post(body, {}))).rejects.toThrow('PayPal unreachable');
  });

  it.each([
    ['no webhook id', { webhookId: '', verify: async () => true }],
    ['no verify', { webhookId }],
    ['a verify object without getCertificate', { webhookId, verify: {} }],
  ])('refuses %s at construction', (_, options) => {
    expect(() => paypal(options as Parameters<typeof paypal>[0])).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  it.each([
    ['a string', '300'],
    ['negative', -1],
    ['NaN', Number.NaN],
  ])('refuses toleranceSeconds %s at construction (it would fail every delivery)', (_, tolerance) => {
    expect(() =>
      paypal({ webhookId, verify: async () => true, toleranceSeconds: tolerance as number }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('takes toleranceSeconds Infinity (no window)', async () => {
    const provider = paypal({
      webhookId,
      verify: { getCertificate: serve(ownCertificate) },
      toleranceSeconds: Number.POSITIVE_INFINITY,
      clock: () => new Date('2034-05-06T07:08:09Z'),
    });
    await expect(provider.parse(post(body, signedHeaders(body)))).resolves.toMatchObject({ type: 'sale' });
  });

  it('refuses another body under a verified transmission id (CRC-32 is not a MAC)', async () => {
    // 1. One genuine signed delivery, e.g. seen in a request log; PayPal retries it as is.
    const genuine = JSON.stringify(captureCompleted());
    const captured = signedHeaders(genuine);
    const manager = new LicenseManager({
      storage: memoryStorage(),
      clock: fakeClock('2024-05-06T07:09:00Z'),
      processTestPurchases: true,
    });
    const handle = createWebhookHandler({
      provider: paypal({ webhookId, verify: { getCertificate: serve(ownCertificate) } }),
      manager,
    });
    expect((await handle(post(genuine, captured))).status).toBe(200);
    expect((await handle(post(genuine, captured))).status).toBe(200);

    // 2. The attacker's own event (new event and capture ids, their email) with the genuine CRC-32.
    const filler = '`'.repeat(16);
    const template = JSON.stringify(
      envelope(
        'PAYMENT.CAPTURE.COMPLETED',
        'capture',
        {
          ...(captureCompleted().resource as Record<string, unknown>),
          id: 'CAPTURE-FORGED',
          custom_id: 'product=pixel-forge&email=attacker%40evil.example',
          note: filler,
        },
        'WH-FORGED-0002',
      ),
    );
    const at = template.indexOf(filler);
    const forged = forgeCrc32(utf8(template), at, at + filler.length, crc32(utf8(genuine)));
    expect(crc32(forged)).toBe(crc32(utf8(genuine)));
    expect(new TextDecoder('utf-8', { fatal: true }).decode(forged)).toContain('attacker%40evil.example');

    // 3. Sent under the captured headers: the signature verifies, the transmission id does not.
    const response = await handle(post(forged, captured));
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 401,
      body: { error: 'unauthorized', code: 'WEBHOOK_UNAUTHORIZED' },
    });
    const licenses = [];
    for await (const license of manager.findLicenses({ email: 'attacker@evil.example' }))
      licenses.push(license);
    expect(licenses).toEqual([]);
  });

  it('binds transmission ids with a custom verifier too, and only after it said yes', async () => {
    const other = JSON.stringify(captureRefunded());
    const provider = paypal({ webhookId, verify: async ({ payload }) => payload === body });
    const headers = { 'content-type': 'application/json', 'paypal-transmission-id': 't-1' };
    // An unverified request does not claim the id ...
    await expect(provider.parse(post(other, headers))).rejects.toMatchObject({
      code: 'WEBHOOK_UNAUTHORIZED',
    });
    await expect(provider.parse(post(body, headers))).resolves.toMatchObject({ type: 'sale' });
    await expect(provider.parse(post(body, headers))).resolves.toMatchObject({ type: 'sale' });
    // ... a verified one does: a verifier fooled by a matching CRC-32 is overruled.
    const fooled = paypal({ webhookId, verify: async () => true });
    await fooled.parse(post(body, headers));
    await expect(fooled.parse(post(other, headers))).rejects.toMatchObject({ code: 'WEBHOOK_UNAUTHORIZED' });
    await expect(
      fooled.parse(post(other, { ...headers, 'paypal-transmission-id': 't-2' })),
    ).resolves.toMatchObject({ type: 'refund' });
  });

  it('a certificate fetch outage is a 503 reported to onError, not a silent 401', async () => {
    const errors: unknown[] = [];
    const handle = createWebhookHandler({
      provider: paypal({
        webhookId,
        verify: {
          getCertificate: async () => {
            throw new TypeError('fetch failed: ECONNRESET');
          },
        },
      }),
      manager: new LicenseManager({ storage: memoryStorage(), clock: fakeClock('2024-05-06T07:09:00Z') }),
      onError: (error) => errors.push(error),
    });
    const response = await handle(post(body, signedHeaders(body)));
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 503,
      body: { error: 'temporarily unavailable' },
    });
    expect(errors).toEqual([expect.objectContaining({ code: 'WEBHOOK_VERIFIER_UNAVAILABLE' })]);
  });

  /** The handler of a shop taking PayPal, sandbox events included, with its manager. */
  function shop() {
    const manager = new LicenseManager({
      storage: memoryStorage(),
      clock: fakeClock('2024-05-06T07:09:00Z'),
      processTestPurchases: true,
    });
    const handle = createWebhookHandler({
      provider: paypal({ webhookId, verify: { getCertificate: serve(ownCertificate) } }),
      manager,
    });
    return { manager, handle };
  }

  it('end to end: sale then refund through the handler (sandbox events are test purchases)', async () => {
    const { handle } = shop();
    const created = await handle(post(body, signedHeaders(body)));
    expect(created.status).toBe(200);
    const { licenseKey } = (await created.json()) as { licenseKey: string };
    expect(
      (await handle(post(body, signedHeaders(body, { 'paypal-transmission-sig': 'AAAA' })))).status,
    ).toBe(401);
    const refund = JSON.stringify(captureRefunded());
    expect(await (await handle(post(refund, signedHeaders(refund)))).json()).toMatchObject({
      action: 'revoked',
      licenseKey,
    });
  });

  it('a refund and a dispute made without the order’s custom_id still revoke and suspend', async () => {
    const { manager, handle } = shop();
    const send = async (payload: unknown) => {
      const text = JSON.stringify(payload);
      return (await handle(post(text, signedHeaders(text)))).json();
    };
    const { licenseKey } = (await send(JSON.parse(body))) as { licenseKey: string };
    const [transaction] = (dispute('CUSTOMER.DISPUTE.CREATED').resource as DisputeResource)
      .disputed_transactions;
    expect(
      await send(
        dispute('CUSTOMER.DISPUTE.CREATED', {
          disputed_transactions: [{ ...transaction, custom: undefined }],
        }),
      ),
    ).toMatchObject({ action: 'suspended', licenseKey });
    expect(await send(captureRefunded({ custom_id: undefined }))).toMatchObject({
      action: 'revoked',
      licenseKey,
    });
    // Booked under the license's product.
    const stats = await manager.audit.getPurchaseStats({ includeTest: true });
    expect(stats.topProducts.map((product) => product.productId)).toEqual(['pixel-forge']);
  });
});

describe('transmissionGuard', () => {
  const a = utf8('body a');
  const b = utf8('body b');

  it('passes a new id and the same body again, refuses the id with another body', async () => {
    const admit = transmissionGuard();
    await admit('t-1', a);
    await admit('t-1', a);
    await admit('t-2', b);
    const error = await rejection(admit('t-1', b));
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect(error).toMatchObject({ code: 'WEBHOOK_UNAUTHORIZED' });
    expect((error as Error).message).not.toContain('t-1');
  });

  it('remembers the last 10,000 transmission ids, forgetting the oldest first', async () => {
    const admit = transmissionGuard();
    expect(rememberedTransmissions).toBe(10_000);
    for (let i = 0; i < rememberedTransmissions; i++) await admit(`t-${i}`, a);
    await expect(admit('t-0', b)).rejects.toBeInstanceOf(WebhookVerificationError);
    await admit('t-new', a); // evicts t-0
    await expect(admit('t-0', b)).resolves.toBeUndefined(); // evicts t-1
    await expect(admit('t-2', b)).rejects.toBeInstanceOf(WebhookVerificationError);
  });
});
