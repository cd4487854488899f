import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createWebhookHandler,
  type GumroadProviderOptions,
  gumroad,
  isLicenseKitError,
  LicenseManager,
  memoryStorage,
  NormalizationError,
  normalizeGumroadPing,
  safeNormalizeGumroadPing,
  WebhookVerificationError,
} from '../../src/index.js';
import { fakeClock } from '../../src/testing.js';
import { rejection } from './_signature-cases.js';

const token = 'k3x9-secret-token-0123456789abcdef';
const sellerId = 'c2VsbGVyLWEtMQ-Ab==';

/** A `sale` ping with the fields Gumroad documents, values as the strings they are on the wire. */
function saleFields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    seller_id: sellerId,
    product_id: 'cHJvZC1waXhlbA-Xy==',
    product_name: 'Pixel Forge',
    permalink: 'pxf',
    product_permalink: 'https://maker.gumroad.com/l/pxf',
    short_product_id: 'pxf',
    email: ' Ana.Buyer@Example.COM ',
    price: '2900',
    gumroad_fee: '290',
    currency: 'usd',
    quantity: '1',
    discover_fee_charged: 'false',
    can_contact: 'true',
    referrer: 'direct',
    'card[visual]': '**** **** **** 4242',
    'card[type]': 'visa',
    'card[bin]': '',
    order_number: '480012345',
    sale_id: 'c2FsZS0wMDE-Qw==',
    sale_timestamp: '2024-03-05T10:20:30Z',
    full_name: 'Ana Buyer',
    purchaser_id: '7700112233',
    ip_country: 'Portugal',
    is_gift_receiver_purchase: 'false',
    refunded: 'false',
    disputed: 'false',
    dispute_won: 'false',
    resource_name: 'sale',
    license_key: 'A1B2C3D4-E5F60718-293A4B5C-6D7E8F90',
    'variants[Tier]': 'Studio',
    ...overrides,
  };
}

/** A subscription ping (`cancellation` and friends): no seller_id, sale_id or money. */
function subscriptionFields(
  resource: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    subscription_id: 'c3ViLTAwMQ-Zz==',
    product_id: 'cHJvZC1waXhlbA-Xy==',
    product_name: 'Pixel Forge',
    user_id: '7700112233',
    user_email: 'Ana.Buyer@example.com',
    'purchase_ids[]': 'c2FsZS0wMDE-Qw==',
    created_at: '2024-01-05T09:00:00Z',
    charge_occurrence_count: '3',
    recurrence: 'monthly',
    free_trial_ends_at: '',
    resource_name: resource,
    ...overrides,
  };
}

function ping(
  fields: Record<string, string>,
  options: { token?: string | null; contentType?: string; body?: string } = {},
): Request {
  const query = options.token === null ? '' : `?token=${encodeURIComponent(options.token ?? token)}`;
  return new Request(`https://shop.example/webhooks/gumroad${query}`, {
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/x-www-form-urlencoded' },
    body: options.body ?? new URLSearchParams(fields).toString(),
  });
}

describe('normalizeGumroadPing', () => {
  it('maps a sale', () => {
    expect(normalizeGumroadPing(saleFields())).toEqual({
      type: 'sale',
      eventId: 'gumroad:c2FsZS0wMDE-Qw==:sale',
      occurredAt: '2024-03-05T10:20:30Z',
      purchase: {
        source: 'gumroad',
        saleId: 'c2FsZS0wMDE-Qw==',
        email: 'ana.buyer@example.com',
        customerName: 'Ana Buyer',
        customerId: '7700112233',
        productId: 'cHJvZC1waXhlbA-Xy==',
        productName: 'Pixel Forge',
        tier: 'Studio',
        amount: 2900,
        currency: 'USD',
        quantity: 1,
        purchasedAt: '2024-03-05T10:20:30Z',
        isTest: false,
        isRecurring: false,
        subscriptionId: null,
        sourceLicenseKey: 'A1B2C3D4-E5F60718-293A4B5C-6D7E8F90',
      },
    });
  });

  it('reads URLSearchParams as the same fields', () => {
    const params = new URLSearchParams(new URLSearchParams(saleFields()).toString());
    expect(normalizeGumroadPing(params)).toEqual(normalizeGumroadPing(saleFields()));
  });

  it('treats a ping without resource_name as a sale (the seller Ping URL)', () => {
    const { resource_name: _, ...fields } = saleFields();
    expect(normalizeGumroadPing(fields)?.type).toBe('sale');
    expect(normalizeGumroadPing(fields)?.eventId).toBe('gumroad:c2FsZS0wMDE-Qw==:sale');
  });

  it('first membership charge is a sale; a recurring charge is a renewal', () => {
    const first = normalizeGumroadPing(
      saleFields({ subscription_id: 'c3ViLTAwMQ-Zz==', recurrence: 'monthly' }),
    );
    expect(first).toMatchObject({
      type: 'sale',
      purchase: { isRecurring: true, subscriptionId: 'c3ViLTAwMQ-Zz==' },
    });
    const renewal = normalizeGumroadPing(
      saleFields({
        sale_id: 'c2FsZS0wMDI-Qw==',
        subscription_id: 'c3ViLTAwMQ-Zz==',
        recurrence: 'monthly',
        is_recurring_charge: 'true',
      }),
    );
    expect(renewal).toMatchObject({
      type: 'renewal',
      eventId: 'gumroad:c2FsZS0wMDI-Qw==:sale',
      purchase: { saleId: 'c2FsZS0wMDI-Qw==', isRecurring: true, subscriptionId: 'c3ViLTAwMQ-Zz==' },
    });
  });

  it.each([
    ['refund', { refunded: 'true' }, 'refund'],
    ['dispute', { disputed: 'true' }, 'dispute'],
    ['dispute_won', { disputed: 'true', dispute_won: 'true' }, 'dispute_won'],
  ] as const)('maps a %s ping onto the same sale', (resource, flags, type) => {
    const event = normalizeGumroadPing(saleFields({ resource_name: resource, ...flags }));
    expect(event).toMatchObject({
      type,
      eventId: `gumroad:c2FsZS0wMDE-Qw==:${resource}`,
      purchase: { saleId: 'c2FsZS0wMDE-Qw==', amount: 2900 },
    });
  });

  it('a refund ping that does not say refunded is a partial refund of unknown amount, with its own event id', () => {
    const partial = normalizeGumroadPing(saleFields({ resource_name: 'refund', refunded: 'false' }));
    const full = normalizeGumroadPing(saleFields({ resource_name: 'refund', refunded: 'true' }));
    expect(partial).toMatchObject({
      type: 'partial_refund',
      eventId: 'gumroad:c2FsZS0wMDE-Qw==:partial_refund',
      purchase: { saleId: 'c2FsZS0wMDE-Qw==', amount: 0 },
    });
    expect(full).toMatchObject({ type: 'refund', eventId: 'gumroad:c2FsZS0wMDE-Qw==:refund' });
    // A ping without the flag at all stays a refund.
    const { refunded: _, ...withoutFlag } = saleFields({ resource_name: 'refund' });
    expect(normalizeGumroadPing(withoutFlag)?.type).toBe('refund');
  });

  it('a sale ping that is already refunded is that refund, never a new sale', () => {
    const refundedSale = normalizeGumroadPing(saleFields({ refunded: 'true' }));
    const refundPing = normalizeGumroadPing(saleFields({ resource_name: 'refund', refunded: 'true' }));
    expect(refundedSale?.type).toBe('refund');
    expect(refundedSale?.eventId).toBe(refundPing?.eventId);
  });

  it.each([
    [
      'cancellation',
      'cancellation',
      { cancelled: 'true', cancelled_at: '2024-04-05T09:00:00Z', cancelled_by_buyer: 'true' },
    ],
    [
      'subscription_ended',
      'subscription_ended',
      { ended_at: '2024-04-05T09:00:00Z', ended_reason: 'cancelled' },
    ],
    ['subscription_restarted', 'subscription_restarted', { restarted_at: '2024-04-05T09:00:00Z' }],
  ] as const)('maps %s by subscription id', (resource, type, extra) => {
    expect(normalizeGumroadPing(subscriptionFields(resource, extra))).toEqual({
      type,
      eventId: `gumroad:c3ViLTAwMQ-Zz==:${resource}:2024-04-05T09:00:00Z`,
      occurredAt: '2024-04-05T09:00:00Z',
      purchase: {
        source: 'gumroad',
        saleId: 'c3ViLTAwMQ-Zz==',
        email: 'ana.buyer@example.com',
        customerName: '',
        customerId: '7700112233',
        productId: 'cHJvZC1waXhlbA-Xy==',
        productName: 'Pixel Forge',
        tier: null,
        amount: 0,
        currency: 'XXX',
        quantity: 1,
        purchasedAt: '2024-01-05T09:00:00Z',
        isTest: false,
        isRecurring: true,
        subscriptionId: 'c3ViLTAwMQ-Zz==',
        sourceLicenseKey: null,
      },
    });
  });

  it('a second cancellation after a restart is a new event, not a redelivery', () => {
    const first = normalizeGumroadPing(
      subscriptionFields('cancellation', { cancelled_at: '2024-04-05T09:00:00Z' }),
    );
    const second = normalizeGumroadPing(
      subscriptionFields('cancellation', { cancelled_at: '2024-06-05T09:00:00Z' }),
    );
    expect(first?.eventId).not.toBe(second?.eventId);
  });

  it('a subscription ping without its time falls back to created_at', () => {
    const event = normalizeGumroadPing(subscriptionFields('subscription_restarted'));
    expect(event?.eventId).toBe('gumroad:c3ViLTAwMQ-Zz==:subscription_restarted');
    expect(event?.occurredAt).toBe('2024-01-05T09:00:00Z');
  });

  it('subscription_updated and unknown resources are not purchase events', () => {
    const updated = subscriptionFields('subscription_updated', {
      type: 'upgrade',
      effective_as_of: '2024-04-05T09:00:00Z',
      'old_plan[tier][name]': 'Solo',
      'new_plan[tier][name]': 'Studio',
    });
    expect(normalizeGumroadPing(updated)).toBeNull();
    expect(normalizeGumroadPing(saleFields({ resource_name: 'something_new' }))).toBeNull();
  });

  it('test=true marks a test purchase', () => {
    expect(normalizeGumroadPing(saleFields({ test: 'true' }))?.purchase.isTest).toBe(true);
    expect(normalizeGumroadPing(subscriptionFields('cancellation', { test: 'true' }))?.purchase.isTest).toBe(
      true,
    );
  });

  it('retry_count on a redelivery changes nothing', () => {
    expect(normalizeGumroadPing(saleFields({ retry_count: '2' }))).toEqual(
      normalizeGumroadPing(saleFields()),
    );
  });

  it('tolerates bracket keys, custom fields and other extras', () => {
    const event = normalizeGumroadPing(
      saleFields({
        'custom_fields[Company]': 'Acme',
        Company: 'Acme',
        'custom_fields[What is your [role]?]': 'dev',
        offer_code: 'SPRING',
        url_params: '{"utm_source":"newsletter"}',
        'shipping_information[zip_code]': '1000-001',
        'purchase_ids[]': 'x',
        affiliate: 'friend@example.com',
      }),
    );
    expect(event?.type).toBe('sale');
    expect(event?.purchase.tier).toBe('Studio');
  });

  it('takes the tier from variants[Tier], else joins the chosen variants', () => {
    const { 'variants[Tier]': _, ...noTier } = saleFields();
    expect(normalizeGumroadPing(noTier)?.purchase.tier).toBeNull();
    const twoVariants = { ...noTier, 'variants[Size]': 'Large', 'variants[Color]': 'Red' };
    expect(normalizeGumroadPing(twoVariants)?.purchase.tier).toBe('Large, Red');
  });

  it('reads quantity, zero-decimal currencies and both timestamp precisions', () => {
    const event = normalizeGumroadPing(
      saleFields({
        quantity: '3',
        currency: 'jpy',
        price: '4500',
        sale_timestamp: '2024-03-05T10:20:30.000Z',
      }),
    );
    expect(event?.purchase).toMatchObject({ quantity: 3, currency: 'JPY', amount: 4500 });
    expect(event?.occurredAt).toBe('2024-03-05T10:20:30.000Z');
    const offset = normalizeGumroadPing(saleFields({ sale_timestamp: '2024-03-05T02:20:30-08:00' }));
    expect(offset?.occurredAt).toBe('2024-03-05T10:20:30.000Z');
  });

  it('a ping missing what a purchase needs is a NormalizationError listing each issue', () => {
    const { sale_id: _a, email: _b, ...fields } = saleFields({ price: '29.00', currency: 'dollars' });
    const error = (() => {
      try {
        normalizeGumroadPing(fields);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(NormalizationError);
    expect(isLicenseKitError(error, 'NORMALIZATION_FAILED')).toBe(true);
    const paths = (error as NormalizationError).issues.map((issue) => issue.path).sort();
    expect(paths).toEqual(['currency', 'email', 'price', 'sale_id']);
  });

  it('subscription pings need their subscription id and email', () => {
    const { subscription_id: _a, user_email: _b, ...fields } = subscriptionFields('cancellation');
    const result = safeNormalizeGumroadPing(fields);
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(result.error.issues.map((issue) => issue.path).sort()).toEqual([
        'subscription_id',
        'user_email',
      ]);
    }
  });

  it('any fields at all give an event, null or a NormalizationError, never another error', () => {
    const key = fc.oneof(
      fc.constantFrom(...Object.keys(saleFields()), ...Object.keys(subscriptionFields('cancellation'))),
      fc.string({ maxLength: 12 }),
    );
    const value = fc.oneof(
      fc.constantFrom('', 'true', 'sale', 'refund', 'cancellation', '2024-03-05T10:20:30Z', '12', 'usd'),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.dictionary(key, value), fc.dictionary(key, value), (base, noise) => {
        const fields = { ...(Object.keys(base).length % 2 ? saleFields() : {}), ...base, ...noise };
        const result = safeNormalizeGumroadPing(fields);
        if (result.success && result.data !== null) expect(result.data.purchase.source).toBe('gumroad');
        if (!result.success) expect(result.error.issues.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('the safe variant returns the event or the error', () => {
    expect(safeNormalizeGumroadPing(saleFields())).toMatchObject({ success: true, data: { type: 'sale' } });
    expect(safeNormalizeGumroadPing(saleFields({ sale_timestamp: 'yesterday' }))).toMatchObject({
      success: false,
    });
  });
});

describe('gumroad() provider', () => {
  const provider = gumroad({ token, sellerId });

  it('parses a form-encoded ping with a valid token and seller', async () => {
    expect(await provider.parse(ping(saleFields()))).toEqual(normalizeGumroadPing(saleFields()));
    expect(provider.id).toBe('gumroad');
    expect(provider.accepts).toEqual(['application/x-www-form-urlencoded', 'application/json']);
  });

  it.each([
    ['no token', null],
    ['an empty token', ''],
    ['a wrong token of the same length', `${token.slice(0, -1)}X`],
    ['a shorter token', token.slice(0, 8)],
    ['a longer token', `${token}0`],
  ] as const)('rejects %s with the same 401 error', async (_, given) => {
    const error = await rejection(provider.parse(ping(saleFields(), { token: given })));
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect(isLicenseKitError(error, 'WEBHOOK_UNAUTHORIZED')).toBe(true);
    expect((error as Error).message).toBe('[licensekit] the Gumroad ping could not be authenticated');
    expect((error as Error).message).not.toContain(token);
  });

  it('a wrong seller gets the same error as a wrong token', async () => {
    const wrongSeller = await rejection(provider.parse(ping(saleFields({ seller_id: 'b3RoZXI-Zz==' }))));
    const wrongToken = await rejection(provider.parse(ping(saleFields(), { token: 'nope' })));
    expect(wrongSeller).toBeInstanceOf(WebhookVerificationError);
    expect((wrongSeller as Error).message).toBe((wrongToken as Error).message);
    expect((wrongSeller as WebhookVerificationError).code).toBe(
      (wrongToken as WebhookVerificationError).code,
    );
  });

  it('a list of sellers: accepts listed sellers and pings naming none, rejects others', async () => {
    const bySeller = gumroad({ token, sellerId: ['b3RoZXI-Zz==', sellerId] });
    expect(await bySeller.parse(ping(saleFields()))).toMatchObject({ type: 'sale' });
    await expect(bySeller.parse(ping(saleFields({ seller_id: 'eA==' })))).rejects.toBeInstanceOf(
      WebhookVerificationError,
    );
    // A seller id is public: without the token, a ping that names the right seller is still refused.
    await expect(bySeller.parse(ping(saleFields(), { token: null }))).rejects.toBeInstanceOf(
      WebhookVerificationError,
    );
  });

  it('token and sellerId: subscription pings (no seller_id) pass on the token', async () => {
    const event = await provider.parse(
      ping(subscriptionFields('cancellation', { cancelled_at: '2024-04-05T09:00:00Z' })),
    );
    expect(event?.type).toBe('cancellation');
  });

  it('token alone accepts any seller', async () => {
    const byToken = gumroad({ token });
    expect(await byToken.parse(ping(saleFields({ seller_id: 'YW55-Zz==' })))).toMatchObject({ type: 'sale' });
  });

  it('test pings, retries and extra keys go through the provider too', async () => {
    const test = await provider.parse(ping(saleFields({ test: 'true' })));
    expect(test?.purchase.isTest).toBe(true);
    const retry = await provider.parse(ping(saleFields({ retry_count: '1', 'custom_fields[Seats]': '3' })));
    expect(retry).toEqual(normalizeGumroadPing(saleFields()));
  });

  it('accepts a JSON body, flattened to the form fields', async () => {
    const body = JSON.stringify({
      seller_id: sellerId,
      product_id: 'cHJvZC1waXhlbA-Xy==',
      product_name: 'Pixel Forge',
      email: 'ana.buyer@example.com',
      price: 2900,
      currency: 'usd',
      quantity: 2,
      sale_id: 'c2FsZS0wMDE-Qw==',
      sale_timestamp: '2024-03-05T10:20:30Z',
      test: true,
      card: { visual: null, type: 'visa' },
      variants: { Tier: 'Studio' },
      purchase_ids: ['a', 'b'],
      resource_name: 'sale',
    });
    const event = await provider.parse(ping({}, { body, contentType: 'application/json; charset=utf-8' }));
    expect(event?.purchase).toMatchObject({ amount: 2900, quantity: 2, isTest: true, tier: 'Studio' });
  });

  it.each([
    ['not JSON', '{"price":'],
    ['a JSON array', '[1,2]'],
    ['JSON nested absurdly deep', `{"a":${'['.repeat(40)}${']'.repeat(40)}}`],
  ])('a JSON body that is %s is a NormalizationError', async (_, body) => {
    await expect(provider.parse(ping({}, { body, contentType: 'application/json' }))).rejects.toBeInstanceOf(
      NormalizationError,
    );
  });

  it('an authenticated ping missing fields is a NormalizationError', async () => {
    await expect(provider.parse(ping({ seller_id: sellerId, resource_name: 'sale' }))).rejects.toBeInstanceOf(
      NormalizationError,
    );
  });

  it.each([
    ['neither option', {}],
    ['an empty token', { token: '' }],
    ['a seller id without a token (seller ids are public)', { sellerId }],
    ['an empty seller id', { token, sellerId: '' }],
    ['an empty seller id in a list', { token, sellerId: [sellerId, ''] }],
  ])('refuses %s at construction', (_, options) => {
    expect(() => gumroad(options as GumroadProviderOptions)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  it('end to end: a license for the sale, 401 for a bad token, revoked on refund', async () => {
    const manager = new LicenseManager({
      storage: memoryStorage(),
      clock: fakeClock('2024-03-05T10:21:00Z'),
    });
    const handle = createWebhookHandler({ provider, manager });
    const created = await handle(ping(saleFields()));
    expect(created.status).toBe(200);
    const { licenseKey } = (await created.json()) as { licenseKey: string };
    expect((await handle(ping(saleFields(), { token: 'bad' }))).status).toBe(401);
    // A partial refund is recorded and keeps the license valid; the full refund then revokes it.
    const partial = await handle(ping(saleFields({ resource_name: 'refund', refunded: 'false' })));
    expect(await partial.json()).toMatchObject({ action: 'recorded', licenseKey });
    expect((await manager.validate(licenseKey)).valid).toBe(true);
    const refund = await handle(ping(saleFields({ resource_name: 'refund', refunded: 'true' })));
    expect(await refund.json()).toMatchObject({ action: 'revoked', licenseKey });
    expect((await manager.validate(licenseKey)).code).toBe('REVOKED');
  });
});
