import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createWebhookHandler,
  gumroad,
  LicenseManager,
  lemonSqueezy,
  memoryStorage,
  paddle,
  paypal,
  type Storage,
  stripe,
  type WebhookProvider,
} from '../../src/index.js';
import {
  fakeClock,
  gumroadSaleFields,
  lemonSqueezyOrderCreatedEvent,
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

/**
 * Fuzzes every built-in store behind `createWebhookHandler`: mutated and re-signed payloads (so they
 * reach the normalizer), random JSON and bytes, bodies changed after signing, mutated headers, random
 * methods and content types, oversized bodies. Invariants: the status is one of 200/400/401/405/413/415
 * (never 5xx), a 4xx writes nothing, no response contains a secret, no promise rejection goes unhandled.
 */

const now = new Date('2025-03-01T10:00:00.000Z');
const iso = now.toISOString();
const later = '2025-03-02T12:00:00.000Z';
const email = 'ada@example.com';
const allowed = new Set([200, 400, 401, 405, 413, 415]);
const oneMiB = 1024 * 1024;
/** Multiplies every property's run count: `LICENSEKIT_FUZZ_SCALE=10 npx vitest run test/webhooks/fuzz.test.ts`. */
const scale = Number(process.env.LICENSEKIT_FUZZ_SCALE ?? 1) || 1;
const runs = (n: number) => Math.max(1, Math.round(n * scale));

// ---------------------------------------------------------------------------------------------------
// Unhandled rejections: none may happen while the handlers run.
// ---------------------------------------------------------------------------------------------------

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => {
  unhandled.push(reason);
};
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(unhandled).toEqual([]);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

// ---------------------------------------------------------------------------------------------------
// Stores: a provider, payloads of every event type it understands, and how to sign a raw body.
// ---------------------------------------------------------------------------------------------------

type Json = fc.JsonValue;
type Path = (string | number)[];

interface Target {
  id: string;
  secret: string;
  provider: WebhookProvider;
  /** One payload per event type the normalizer maps, all about one sale. */
  samples: Json[];
  /** Where the event type sits, and the types to swap in (type confusion). */
  typePath: Path;
  types: string[];
  /** The body and content type of `sample`; `variant` picks among a store's encodings. */
  encode(sample: Json, variant: number): { body: string; contentType: string };
  /**
   * A request with `body` exactly, correctly signed (or carrying the right token); `at` signs another
   * time (Stripe, Paddle, PayPal), `token` sends another Gumroad token.
   */
  sign(body: Uint8Array, contentType: string, options?: SignOptions): Promise<Request>;
  /** Signature headers: changing the body after signing must make the request a 401. */
  signed: boolean;
}

interface SignOptions {
  at?: Date;
  token?: string;
}

const json = (sample: Json) => ({ body: JSON.stringify(sample), contentType: 'application/json' });
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as Json;

function stripeTarget(): Target {
  const secret = 'whsec_fuzz_secret';
  const pi = 'pi_fuzz_1';
  const sub = 'sub_fuzz_1';
  const checkout = stripeCheckoutCompletedEvent({
    email,
    productId: 'app',
    paymentIntent: pi,
    created: now,
    eventId: 'evt_checkout',
  });
  const subscriptionCheckout = stripeCheckoutCompletedEvent({
    email,
    productId: 'app',
    subscription: sub,
    created: now,
    eventId: 'evt_sub_checkout',
  });
  const charge = {
    id: 'ch_1',
    object: 'charge',
    amount: 1000,
    amount_refunded: 1000,
    refunded: true,
    currency: 'usd',
    customer: null,
    payment_intent: pi,
    billing_details: { email, name: null },
    receipt_email: null,
    metadata: {},
  };
  const dispute = (status: string) => ({
    id: 'dp_1',
    object: 'dispute',
    amount: 1000,
    currency: 'usd',
    charge: 'ch_1',
    payment_intent: pi,
    reason: 'fraudulent',
    status,
    metadata: {},
  });
  const invoice = {
    id: 'in_1',
    object: 'invoice',
    billing_reason: 'subscription_cycle',
    amount_paid: 1000,
    currency: 'usd',
    customer: 'cus_1',
    customer_email: email,
    customer_name: 'Ada',
    status: 'paid',
    parent: {
      type: 'subscription_details',
      subscription_details: { subscription: sub, metadata: { product_id: 'app' } },
    },
  };
  const partial = stripeEvent('charge.refunded', { ...charge, amount_refunded: 300 }, { eventId: 'evt_p' });
  const samples = [
    checkout,
    subscriptionCheckout,
    stripeEvent('checkout.session.async_payment_succeeded', checkout.data.object, { eventId: 'evt_async' }),
    stripeEvent('charge.refunded', charge, { eventId: 'evt_refund', created: now }),
    { ...partial, data: { ...partial.data, previous_attributes: { amount_refunded: 100 } } },
    stripeEvent('charge.dispute.created', dispute('needs_response'), { eventId: 'evt_dispute' }),
    stripeEvent('charge.dispute.closed', dispute('won'), { eventId: 'evt_won' }),
    stripeEvent('charge.dispute.closed', dispute('lost'), { eventId: 'evt_lost' }),
    stripeEvent('invoice.paid', invoice, { eventId: 'evt_invoice' }),
    stripeEvent(
      'invoice.paid',
      { ...invoice, parent: null, subscription: sub },
      { eventId: 'evt_invoice_old' },
    ),
    stripeEvent(
      'customer.subscription.deleted',
      {
        id: sub,
        object: 'subscription',
        customer: 'cus_1',
        currency: 'usd',
        metadata: { product_id: 'app' },
      },
      { eventId: 'evt_deleted' },
    ),
  ];
  return {
    id: 'stripe',
    secret,
    provider: stripe({ signingSecret: secret, clock: () => now }),
    samples: samples.map(asJson),
    typePath: ['type'],
    types: [
      'checkout.session.completed',
      'checkout.session.async_payment_succeeded',
      'charge.refunded',
      'charge.dispute.created',
      'charge.dispute.closed',
      'invoice.paid',
      'customer.subscription.deleted',
      'payment_intent.succeeded',
    ],
    encode: json,
    sign: (body, contentType, { at = now } = {}) =>
      stripeWebhookRequest(body, secret, { timestamp: at, headers: { 'content-type': contentType } }),
    signed: true,
  };
}

function lemonSqueezyTarget(): Target {
  const secret = 'ls_fuzz_secret';
  const order = lemonSqueezyOrderCreatedEvent({ email, productId: 301, orderId: 5001, createdAt: now });
  const refunded = structuredClone(order);
  refunded.meta.event_name = 'order_refunded';
  Object.assign(refunded.data.attributes, {
    status: 'refunded',
    refunded: true,
    refunded_amount: 1000,
    refunded_at: later,
    updated_at: later,
  });
  const buyer = { customer_id: 901, user_name: 'Ada', user_email: email, created_at: iso, updated_at: later };
  const subscription = (event: string) => ({
    meta: { event_name: event },
    data: {
      type: 'subscriptions',
      id: '6001',
      attributes: { ...buyer, order_id: 5001, product_id: 301, product_name: 'App', variant_name: 'Pro' },
    },
  });
  const samples = [
    order,
    refunded,
    {
      meta: { event_name: 'subscription_payment_success' },
      data: {
        type: 'subscription-invoices',
        id: '9001',
        attributes: {
          ...buyer,
          subscription_id: 6001,
          billing_reason: 'renewal',
          currency: 'USD',
          total: 900,
        },
      },
    },
    subscription('subscription_cancelled'),
    subscription('subscription_expired'),
  ];
  return {
    id: 'lemonsqueezy',
    secret,
    provider: lemonSqueezy({ signingSecret: secret }),
    samples: samples.map(asJson),
    typePath: ['meta', 'event_name'],
    types: [
      'order_created',
      'order_refunded',
      'subscription_payment_success',
      'subscription_cancelled',
      'subscription_expired',
      'subscription_created',
    ],
    encode: json,
    sign: (body, contentType) =>
      lemonSqueezyWebhookRequest(body, secret, { headers: { 'content-type': contentType } }),
    signed: true,
  };
}

function paddleTarget(): Target {
  const secret = 'pdl_ntfset_fuzz_secret';
  const transaction = paddleTransactionCompletedEvent({
    email,
    productId: 'pro_01',
    transactionId: 'txn_1',
    subscriptionId: 'sub_01',
    eventId: 'evt_txn',
    occurredAt: now,
  });
  const renewal = structuredClone(transaction);
  renewal.event_id = 'evt_renewal';
  renewal.data.id = 'txn_2';
  renewal.data.origin = 'subscription_recurring';
  const adjustment = (action: string, eventId: string) => ({
    event_id: eventId,
    event_type: 'adjustment.created',
    occurred_at: iso,
    data: {
      id: `adj_${eventId}`,
      action,
      type: 'full',
      status: 'approved',
      transaction_id: 'txn_1',
      subscription_id: null,
      customer_id: 'ctm_1',
      currency_code: 'USD',
      totals: { total: '1000' },
    },
  });
  const samples = [
    transaction,
    renewal,
    adjustment('refund', 'evt_refund'),
    adjustment('chargeback_warning', 'evt_warning'),
    adjustment('chargeback_warning_reverse', 'evt_reverse'),
    {
      event_id: 'evt_canceled',
      event_type: 'subscription.canceled',
      occurred_at: iso,
      data: {
        id: 'sub_01',
        customer_id: 'ctm_1',
        custom_data: null,
        currency_code: 'USD',
        items: [{ price: { product_id: 'pro_01', name: null }, quantity: 1 }],
      },
    },
  ];
  return {
    id: 'paddle',
    secret,
    provider: paddle({ secret, clock: () => now }),
    samples: samples.map(asJson),
    typePath: ['event_type'],
    types: [
      'transaction.completed',
      'adjustment.created',
      'adjustment.updated',
      'subscription.canceled',
      'subscription.updated',
    ],
    encode: json,
    sign: (body, contentType, { at = now } = {}) =>
      paddleWebhookRequest(body, secret, { timestamp: at, headers: { 'content-type': contentType } }),
    signed: true,
  };
}

async function paypalTarget(): Promise<Target> {
  const credentials = await paypalTestCredentials();
  const webhookId = 'WH-FUZZ-0001';
  const custom = new URLSearchParams({ product: 'app', email }).toString();
  const money = { currency_code: 'USD', value: '10.00' };
  const dispute = (eventType: string, id: string) => ({
    id,
    event_type: eventType,
    create_time: iso,
    links: [],
    resource: {
      dispute_id: 'PP-D-1',
      dispute_amount: money,
      disputed_transactions: [{ seller_transaction_id: 'CAP1', custom }],
      dispute_outcome: { outcome_code: 'RESOLVED_SELLER_FAVOUR' },
      links: [],
    },
  });
  const samples = [
    paypalCaptureCompletedEvent({
      email,
      productId: 'app',
      captureId: 'CAP1',
      eventId: 'WH-1',
      createTime: now,
    }),
    {
      id: 'WH-2',
      event_type: 'PAYMENT.CAPTURE.REFUNDED',
      create_time: later,
      links: [],
      resource: {
        id: 'REF1',
        amount: money,
        custom_id: custom,
        links: [{ href: 'https://api.paypal.com/v2/payments/captures/CAP1', rel: 'up', method: 'GET' }],
      },
    },
    dispute('CUSTOMER.DISPUTE.CREATED', 'WH-3'),
    dispute('CUSTOMER.DISPUTE.RESOLVED', 'WH-4'),
  ];
  return {
    id: 'paypal',
    secret: webhookId,
    provider: paypal({
      webhookId,
      verify: { getCertificate: credentials.getCertificate },
      toleranceSeconds: 300,
      clock: () => now,
    }),
    samples: samples.map(asJson),
    typePath: ['event_type'],
    types: [
      'PAYMENT.CAPTURE.COMPLETED',
      'PAYMENT.CAPTURE.REFUNDED',
      'CUSTOMER.DISPUTE.CREATED',
      'CUSTOMER.DISPUTE.RESOLVED',
      'PAYMENT.SALE.COMPLETED',
    ],
    encode: json,
    sign: (body, contentType, { at = now } = {}) =>
      paypalWebhookRequest(body, {
        ...credentials,
        webhookId,
        transmissionTime: at,
        headers: { 'content-type': contentType },
      }),
    signed: true,
  };
}

function gumroadTarget(): Target {
  const token = 'gumroad-fuzz-token-0123456789abcdef';
  const sale = gumroadSaleFields({
    email,
    productId: 'prod-1',
    saleId: 'sale-1',
    sellerId: 'seller-1',
    saleTimestamp: now,
  });
  const subscription = (resource: string, at: Record<string, string>) => ({
    subscription_id: 'sub-1',
    product_id: 'prod-1',
    product_name: 'Product',
    user_id: '77',
    user_email: email,
    created_at: iso,
    resource_name: resource,
    ...at,
  });
  const samples = [
    sale,
    { ...sale, resource_name: 'refund', refunded: 'true' },
    { ...sale, resource_name: 'dispute', disputed: 'true' },
    { ...sale, resource_name: 'dispute_won', disputed: 'true', dispute_won: 'true' },
    { ...sale, sale_id: 'sale-2', subscription_id: 'sub-1', is_recurring_charge: 'true' },
    subscription('cancellation', { cancelled_at: later }),
    subscription('subscription_ended', { ended_at: later }),
    subscription('subscription_restarted', { restarted_at: later }),
  ];
  return {
    id: 'gumroad',
    secret: token,
    provider: gumroad({ token, sellerId: 'seller-1' }),
    samples,
    typePath: ['resource_name'],
    types: [
      'sale',
      'refund',
      'dispute',
      'dispute_won',
      'cancellation',
      'subscription_ended',
      'subscription_restarted',
      'subscription_updated',
    ],
    encode(sample, variant) {
      // Gumroad posts forms; Zapier-style hosts get JSON. A form value must be a string.
      if (variant % 2 === 1) return json(sample);
      const fields = new URLSearchParams();
      if (typeof sample === 'object' && sample !== null && !Array.isArray(sample)) {
        for (const [key, value] of Object.entries(sample)) {
          fields.append(key, typeof value === 'string' ? value : JSON.stringify(value));
        }
      } else {
        fields.append('value', JSON.stringify(sample));
      }
      return { body: fields.toString(), contentType: 'application/x-www-form-urlencoded' };
    },
    async sign(body, contentType, options = {}) {
      const query = new URLSearchParams({ token: options.token ?? token });
      return new Request(`https://example.com/webhooks/gumroad?${query}`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: new Uint8Array(body),
      });
    },
    signed: false,
  };
}

// ---------------------------------------------------------------------------------------------------
// The harness: one handler on fresh memory storage, and the invariants checked on every exchange.
// ---------------------------------------------------------------------------------------------------

interface Harness {
  target: Target;
  exchange(request: Request): Promise<number>;
}

async function count(storage: Storage): Promise<{ licenses: number; records: number }> {
  let licenses = 0;
  let records = 0;
  for await (const _ of storage.licenses.list()) licenses++;
  for await (const _ of storage.purchases.scan()) records++;
  return { licenses, records };
}

function harness(target: Target): Harness {
  const storage = memoryStorage();
  const manager = new LicenseManager({
    storage,
    mailer: memoryMailer(),
    clock: fakeClock(now),
    // Terms with an expiry, seats and grace, so renewals and ends exercise the date arithmetic too.
    plans: () => ({ durationDays: 30, maxDevices: 2, graceDays: 3 }),
    processTestPurchases: true,
  });
  const failures: unknown[] = [];
  const handle = createWebhookHandler({
    provider: target.provider,
    manager,
    onError: (error) => failures.push(error),
  });
  return {
    target,
    async exchange(request) {
      const before = await count(storage);
      const described = `${request.method} ${request.url} ${JSON.stringify([...request.headers])}`;
      const response = await handle(request);
      const text = await response.text();
      if (!allowed.has(response.status)) {
        const stacks = failures
          .splice(0)
          .map((error) => (error instanceof Error ? (error.stack ?? String(error)) : String(error)));
        throw new Error(
          `${target.id}: ${response.status} ${text}\nrequest: ${described}\n${stacks.join('\n')}`,
        );
      }
      expect(text).not.toContain(target.secret);
      if (response.status >= 400) expect(await count(storage)).toEqual(before);
      return response.status;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Mutations.
// ---------------------------------------------------------------------------------------------------

/** Values of the wrong type, edge values and huge strings, for any field. */
const wildValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> },
  {
    weight: 3,
    arbitrary: fc.constantFrom<Json>(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      -0.5,
      1e21,
      1e15,
      -1e15,
      Number.MAX_SAFE_INTEGER,
      2 ** 53 + 2,
      1e308,
      '',
      ' ',
      '0',
      '-1',
      '1.5',
      '1e3',
      '99999999999999999999',
      'usd',
      'US',
      'XXXX',
      '\u0000',
      '\ud800',
      'Ünïcödé 🎉',
      '2025-02-30T00:00:00Z',
      '9999-12-31T23:59:59Z',
      '0000-01-01T00:00:00Z',
      '+275760-09-13T00:00:00Z',
      'not-a-date',
      '@',
      'a@b',
      '__proto__',
      'constructor',
      [],
      {},
      [[[]]],
      JSON.parse('{"__proto__":{"polluted":true}}') as Json,
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.double() as fc.Arbitrary<Json> },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 50, max: 1_000 }).map((depth) => {
      let value: Json = 'deep';
      for (let i = 0; i < depth; i++) {
        const inner: Json = value;
        value = i % 2 === 0 ? [inner] : { a: inner };
      }
      return value;
    }),
  },
);

const wildKey = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'variants[Tier]', 'a[b][c]', ''),
);

/** Edge values of the same type as the field they replace, to get past type checks into the logic. */
const edgeNumbers = [
  0,
  -0,
  -1,
  1,
  1.5,
  2 ** 31,
  2 ** 32,
  8.64e12,
  8.64e12 + 1,
  1e15,
  Number.MAX_SAFE_INTEGER,
  2 ** 53 + 2,
  1e21,
  1e300,
];
const edgeStrings = [
  '',
  ' ',
  '0',
  '007',
  '-5',
  '1e3',
  '12.345',
  '99999999999999999',
  'usd',
  'USD',
  'JPY',
  'KWD',
  'XXX',
  'abc',
  ' A@B.C ',
  '@',
  'a@',
  'ümlaut@example.com',
  '2025-03-01T10:00:00Z',
  '2025-03-01T10:00:00.123456789Z',
  '2025-03-01T10:00:00+14:00',
  '2025-03-01',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  'https://api.sandbox.paypal.com/v2/payments/captures/',
  'https://api.paypal.com/v2/payments/captures/X/../Y',
  'product=&email=',
  'product=a&email=b%40c.d&quantity=0',
  'product=a&email=b%40c.d&quantity=99999999999999999999',
  'true',
  'false',
  'null',
  'undefined',
  'paid',
  'unpaid',
  'won',
  'lost',
  'approved',
  'full',
  'partial',
  'refund',
  'subscription_cycle',
  'subscription_recurring',
  'payment',
  'subscription',
  'setup',
  'x'.repeat(5_000),
];

interface JsonMutation {
  op: 'replace' | 'similar' | 'delete' | 'wrap' | 'add' | 'type';
  at: number;
  key: string;
  value: Json;
}

const jsonMutation: fc.Arbitrary<JsonMutation> = fc.record({
  op: fc.constantFrom('replace', 'replace', 'similar', 'similar', 'similar', 'delete', 'wrap', 'add', 'type'),
  at: fc.nat(),
  key: wildKey,
  value: wildValue,
});

function pathsOf(value: Json, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) paths.push(...pathsOf(item, [...prefix, i]));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item ?? null, [...prefix, key]));
  }
  return paths;
}

/** Replaces the value at `path` (`undefined` deletes it); returns the new root. Unreachable paths are left alone. */
function setAt(root: Json, path: Path, value: Json | undefined): Json {
  if (path.length === 0) return value === undefined ? null : value;
  const parent = getAt(root, path.slice(0, -1));
  const last = path[path.length - 1]!;
  if (Array.isArray(parent) && typeof last === 'number') {
    if (value === undefined) parent.splice(last, 1);
    else parent[last] = value;
  } else if (typeof parent === 'object' && parent !== null && !Array.isArray(parent)) {
    if (value === undefined) delete parent[last];
    else Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true });
  }
  return root;
}

function getAt(root: Json, path: Path): Json | undefined {
  let value: Json | undefined = root;
  for (const step of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string | number, Json>)[step];
  }
  return value;
}

function mutateJson(target: Target, sample: Json, mutations: readonly JsonMutation[]): Json {
  let root = structuredClone(sample);
  for (const { op, at, key, value: generated } of mutations) {
    // fast-check reuses generated values while shrinking: never let the payload alias them.
    const value = structuredClone(generated);
    const paths = pathsOf(root);
    const path = paths[at % paths.length]!;
    const current = getAt(root, path);
    if (op === 'replace') root = setAt(root, path, value);
    else if (op === 'similar') root = setAt(root, path, similar(current ?? null, at, value));
    else if (op === 'delete') root = setAt(root, path, path.length === 0 ? {} : undefined);
    else if (op === 'wrap')
      root = setAt(root, path, at % 2 === 0 ? [current ?? null] : { [key]: current ?? null });
    else if (op === 'type') root = setAt(root, target.typePath, target.types[at % target.types.length]!);
    else if (typeof current === 'object' && current !== null && !Array.isArray(current)) {
      setAt(root, [...path, key], value);
    }
  }
  return root;
}

/** A value of `current`'s type: an edge number, an edge string, or `fallback` for other types. */
function similar(current: Json, pick: number, fallback: Json): Json {
  if (typeof current === 'number') return edgeNumbers[pick % edgeNumbers.length]! * (pick % 7 === 0 ? -1 : 1);
  if (typeof current === 'string') return edgeStrings[pick % edgeStrings.length]!;
  if (typeof current === 'boolean') return !current;
  return fallback;
}

interface ByteMutation {
  op: 'flip' | 'truncate' | 'insert' | 'delete' | 'duplicate';
  at: number;
  mask: number;
  bytes: Uint8Array;
}

const byteMutation: fc.Arbitrary<ByteMutation> = fc.record({
  op: fc.constantFrom('flip', 'flip', 'truncate', 'insert', 'delete', 'duplicate'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  mask: fc.integer({ min: 1, max: 255 }),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
});

function mutateBytes(input: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let bytes: Uint8Array = new Uint8Array(input);
  for (const { op, at, mask, bytes: extra } of mutations) {
    const i = Math.min(Math.floor(at * bytes.length), Math.max(bytes.length - 1, 0));
    if (op === 'flip' && bytes.length > 0) bytes[i] = bytes[i]! ^ mask;
    else if (op === 'truncate') bytes = bytes.slice(0, i);
    else if (op === 'insert') bytes = concat(bytes.slice(0, i), extra, bytes.slice(i));
    else if (op === 'delete') bytes = concat(bytes.slice(0, i), bytes.slice(i + extra.length));
    else if (op === 'duplicate') bytes = concat(bytes, bytes);
  }
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i]);

/** A header value a `Headers` object accepts: Latin-1 without NUL, CR or LF. */
const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0xff }).map((code) => String.fromCharCode(code)),
  maxLength: 80,
});

interface TextMutation {
  kind: number;
  at: number;
  char: string;
  random: string;
}

/** Mutations of a signature header's text: truncation, flips, separators, case, repetition. */
const textMutation: fc.Arbitrary<TextMutation> = fc.record({
  kind: fc.nat(16),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  char: fc.constantFrom('0', 'f', ',', ';', '=', ' ', 'x', 'A', '|'),
  random: headerValue,
});

function applyText(value: string, { kind, at, char, random }: TextMutation): string {
  const i = Math.min(Math.floor(at * value.length), Math.max(value.length - 1, 0));
  const variants = [
    () => value.slice(0, i),
    () => value.slice(0, i) + char + value.slice(i + 1),
    () => value.slice(0, i) + char + value.slice(i),
    () => value.toUpperCase(),
    () => `${value},${value}`,
    () => `${value};${value}`,
    () => ` ${value} `,
    () => value.replace(/=/g, ' = '),
    () => value.replace(/v1=|h1=/g, 'v0='),
    () => value.replace(/\b(t|ts)=\d+[,;]?/g, ''),
    () => value.replace(/\b(t|ts)=(\d+)/, '$1=$2,$1=$2'),
    () => value.replace(/\b(t|ts)=(\d+)/, '$1=-$2'),
    () => value.replace(/\b(t|ts)=(\d+)/, '$1=99999999999999999999'),
    () => value.replace(/[0-9a-f]{64}/, (hex) => hex.slice(0, 63)),
    () => value.replace(/[0-9a-f]{64}/, (hex) => `${hex}00`),
    () => `${value}${',v1=00'.repeat(500)}`,
    () => random,
  ];
  const mutated = variants[kind % variants.length]!();
  // Upper-casing can leave Latin-1 (`µ` → `Μ`); a header value cannot carry that.
  return /^[^\0\r\n\u0100-\uffff]*$/.test(mutated) ? mutated : value;
}

interface HeaderMutation {
  kind: 'drop' | 'replace' | 'mutate' | 'add' | 'content-type' | 'content-length' | 'timestamp';
  pick: number;
  value: string;
  seconds: number;
}

async function rebuild(
  request: Request,
  body: Uint8Array,
  headers: Headers,
  method = 'POST',
): Promise<Request> {
  const init: RequestInit = { method, headers };
  if (method !== 'GET' && method !== 'HEAD') init.body = new Uint8Array(body);
  return new Request(request.url, init);
}

// ---------------------------------------------------------------------------------------------------
// The properties, per store.
// ---------------------------------------------------------------------------------------------------

const targets: [string, () => Promise<Target> | Target][] = [
  ['gumroad', gumroadTarget],
  ['stripe', stripeTarget],
  ['lemonsqueezy', lemonSqueezyTarget],
  ['paddle', paddleTarget],
  ['paypal', paypalTarget],
];

const sampleOf = (target: Target, index: number) => target.samples[index % target.samples.length]!;

describe.each(targets)('fuzzing the %s handler', (_, makeTarget) => {
  let target: Target;
  beforeAll(async () => {
    target = await makeTarget();
  });

  it('never fails on the valid samples, in every order, twice', async () => {
    const { exchange } = harness(target);
    for (const round of [0, 1]) {
      for (const [i, sample] of target.samples.entries()) {
        const { body, contentType } = target.encode(sample, i + round);
        expect(await exchange(await target.sign(utf8(body), contentType))).toBe(200);
      }
    }
  });

  it('signed payloads with mutated fields, wrong types and swapped event types reach the normalizer', async () => {
    const { exchange } = harness(target);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.nat(),
        fc.array(jsonMutation, { minLength: 1, maxLength: 4 }),
        async (index, variant, mutations) => {
          const mutated = mutateJson(target, sampleOf(target, index), mutations);
          const { body, contentType } = target.encode(mutated, variant);
          const status = await exchange(await target.sign(utf8(body), contentType));
          // Gumroad's seller_id is part of its authentication: a mutated one is a 401.
          expect(target.id === 'gumroad' ? [200, 400, 401] : [200, 400]).toContain(status);
        },
      ),
      { numRuns: runs(500) },
    );
  });

  it('signed random JSON, random bytes and deep nesting are 200 or 400', async () => {
    const { exchange } = harness(target);
    const deep = fc
      .tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[', '{"a":'))
      .map(([depth, open]) => `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`);
    // The right event type, with every other top-level field random.
    const envelope = fc
      .tuple(fc.constantFrom(...target.types), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })))
      .map(([type, fields]) => {
        const head = String(target.typePath[0]);
        const sample = target.samples[0] as Record<string, Json>;
        const root: Record<string, Json> = { ...fields, [head]: structuredClone(sample[head]!) };
        return JSON.stringify(setAt(root, target.typePath, type));
      });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue().map((value) => utf8(JSON.stringify(value))),
          fc.uint8Array({ maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 200 }).map(utf8),
          deep.map(utf8),
          envelope.map(utf8),
        ),
        fc.nat(),
        async (body, variant) => {
          const { contentType } = target.encode(target.samples[0]!, variant);
          const status = await exchange(await target.sign(body, contentType));
          expect(target.id === 'gumroad' ? [200, 400, 401] : [200, 400]).toContain(status);
        },
      ),
      { numRuns: runs(250) },
    );
  });

  it('a body changed after signing is refused', async () => {
    const { exchange } = harness(target);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(byteMutation, { minLength: 1, maxLength: 3 }),
        async (index, mutations) => {
          const { body, contentType } = target.encode(sampleOf(target, index), 0);
          const original = utf8(body);
          const request = await target.sign(original, contentType);
          const mutated = mutateBytes(original, mutations);
          const status = await exchange(await rebuild(request, mutated, new Headers(request.headers)));
          if (target.signed && !same(original, mutated)) expect(status).toBe(401);
        },
      ),
      { numRuns: runs(250) },
    );
  });

  it('mutated, missing and extra headers never break the handler', async () => {
    const { exchange } = harness(target);
    const mutation: fc.Arbitrary<HeaderMutation> = fc.record({
      kind: fc.constantFrom(
        'drop',
        'replace',
        'mutate',
        'mutate',
        'add',
        'content-type',
        'content-length',
        'timestamp',
      ),
      pick: fc.nat(),
      value: headerValue,
      seconds: fc.oneof(
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.constantFrom(-6, 6, -301, 301, 0),
      ),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        textMutation,
        async (index, mutations, text) => {
          const { body, contentType } = target.encode(sampleOf(target, index), index);
          const bytes = utf8(body);
          let request = await target.sign(bytes, contentType);
          const headers = new Headers(request.headers);
          let url = request.url;
          for (const { kind, pick, value, seconds } of mutations) {
            const names = [...headers.keys()];
            const name = names[pick % Math.max(names.length, 1)] ?? 'content-type';
            if (kind === 'drop') headers.delete(name);
            else if (kind === 'replace') headers.set(name, value);
            else if (kind === 'add') headers.set(`x-${pick % 5}`, value);
            else if (kind === 'content-type') headers.set('content-type', value);
            else if (kind === 'content-length') headers.set('content-length', value || String(pick));
            else if (kind === 'timestamp') {
              // A correct signature for another time (Stripe, Paddle, PayPal) or another token (Gumroad).
              const at = new Date(now.getTime() + seconds * 1000);
              const resigned = await target.sign(bytes, contentType, { at, token: value });
              for (const [key, signed] of resigned.headers) headers.set(key, signed);
              url = resigned.url;
            } else {
              const signature = names.find((n) =>
                /signature|transmission-sig|paypal-transmission-time/.test(n),
              );
              headers.set(signature ?? name, applyText(headers.get(signature ?? name) ?? '', text));
            }
          }
          request = new Request(url, { method: 'POST', headers, body: bytes });
          await exchange(request);
        },
      ),
      { numRuns: runs(300) },
    );
  });

  it('random methods and content types', async () => {
    const { exchange } = harness(target);
    const method = fc.oneof(
      fc.constantFrom('GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'post', 'patch', 'Post'),
      fc.stringMatching(/^[A-Za-z]{1,10}$/).filter((m) => !/^(connect|trace|track)$/i.test(m)),
    );
    const contentType = fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'APPLICATION/JSON',
        ' application/json ',
        'application/json;;;',
        'application/jsonx',
        'application/*',
        'text/plain',
        'text/json',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        '',
      ),
      headerValue,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        method,
        fc.option(contentType, { nil: undefined }),
        async (index, verb, type) => {
          const { body, contentType: natural } = target.encode(sampleOf(target, index), index);
          const request = await target.sign(utf8(body), natural);
          const headers = new Headers(request.headers);
          if (type === undefined) headers.delete('content-type');
          else headers.set('content-type', type);
          const status = await exchange(await rebuild(request, utf8(body), headers, verb));
          if (verb.toUpperCase() !== 'POST') expect(status).toBe(405);
        },
      ),
      { numRuns: runs(150) },
    );
  });

  it('bodies over 1 MiB are 413, declared or streamed', async () => {
    const { exchange } = harness(target);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: oneMiB + 1, max: oneMiB + 300_000 }),
        fc.boolean(),
        async (size, stream) => {
          const { body, contentType } = target.encode(target.samples[0]!, 0);
          const padded = body.startsWith('{')
            ? `{"pad":"${'x'.repeat(size)}",${body.slice(1)}`
            : `${body}&pad=${'x'.repeat(size)}`;
          const bytes = utf8(padded);
          const request = await target.sign(bytes, contentType);
          const streamed = stream
            ? new Request(request.url, {
                method: 'POST',
                headers: request.headers,
                body: new ReadableStream({
                  start(controller) {
                    for (let i = 0; i < bytes.length; i += 65_536)
                      controller.enqueue(bytes.slice(i, i + 65_536));
                    controller.close();
                  },
                }),
                duplex: 'half',
              } as RequestInit)
            : await rebuild(
                request,
                bytes,
                new Headers({
                  ...Object.fromEntries(request.headers),
                  'content-length': String(bytes.length),
                }),
              );
          expect(await exchange(streamed)).toBe(413);
        },
      ),
      { numRuns: runs(8) },
    );
  });
});

describe('bugs the fuzz found, fixed', () => {
  it('Stripe: an Event `created` beyond the Date range is a 400, not a 500', async () => {
    const target = stripeTarget();
    const handle = createWebhookHandler({
      provider: target.provider,
      manager: new LicenseManager({ storage: memoryStorage(), clock: fakeClock(now) }),
      onError: () => undefined,
    });
    const event = { ...stripeCheckoutCompletedEvent({ email, productId: 'app' }), created: 1e15 };
    const response = await handle(await target.sign(utf8(JSON.stringify(event)), 'application/json'));
    // Today: 500, `RangeError: Invalid time value` from `toISOString` in `toEvent` (src/normalizers/stripe.ts).
    expect(response.status).toBe(400);
  });
});
