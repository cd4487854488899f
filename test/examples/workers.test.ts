/**
 * examples/cloudflare-workers in workerd (miniflare): the Worker and a conformance Worker are bundled
 * with esbuild against the built package, each gets a D1 database migrated with the example's
 * migration file, and the mail API is played by miniflare's outbound service.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  gumroadPingRequest,
  gumroadSaleFields,
  lemonSqueezyOrderCreatedEvent,
  lemonSqueezyWebhookRequest,
  paddleTransactionCompletedEvent,
  paddleWebhookRequest,
  storageConformanceCases,
  stripeCheckoutCompletedEvent,
  stripeWebhookRequest,
} from '../../src/testing.js';
import { ensureBuilt, root } from '../helpers/ensure-built.js';

const secrets = {
  ADMIN_TOKEN: 'admin-token-0123456789',
  GUMROAD_TOKEN: 'gumroad-token-0123456789',
  STRIPE_WEBHOOK_SECRET: 'whsec_workers_0123456789',
  LEMONSQUEEZY_SECRET: 'lemon-0123456789',
  PADDLE_SECRET: 'pdl_ntfset_workers_0123',
};
const rateLimit = 8;
const base = 'https://licenses.example.com';

let mf: Miniflare;
const mails: { authorization: string | null; body: Record<string, string> }[] = [];
let failNextMail = false;

/** Bundles a Worker entry for workerd; `licensekit` resolves to dist/ (the Worker's tsconfig has no paths). */
async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [join(root, entry)],
    absWorkingDir: root,
    tsconfig: join(root, 'examples/cloudflare-workers/tsconfig.json'),
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    target: 'es2022',
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs).toContain('dist/index.js');
  expect(inputs.filter((input) => input.startsWith('src/'))).toEqual([]);
  return result.outputFiles[0]!.text;
}

beforeAll(async () => {
  ensureBuilt();
  const [app, conformance] = await Promise.all([
    bundle('examples/cloudflare-workers/src/index.ts'),
    bundle('test/examples/workers/conformance-worker.ts'),
  ]);
  expect(app).not.toMatch(/from ["']node:/); // the Worker needs no Node built-ins
  const compatibilityDate = '2025-12-01';
  mf = new Miniflare({
    workers: [
      {
        name: 'app',
        modules: true,
        script: app,
        compatibilityDate,
        d1Databases: { DB: 'app-db' },
        ratelimits: { LICENSE_RATE_LIMITER: { simple: { limit: rateLimit, period: 60 } } },
        bindings: {
          ...secrets,
          MAIL_API_URL: 'https://mail-api.example.com/emails',
          MAIL_API_KEY: 'mail-key',
          MAIL_FROM: 'Shop <shop@example.com>',
        },
        outboundService: async (request) => {
          if (failNextMail) {
            failNextMail = false;
            return new Response('unavailable', { status: 503 });
          }
          mails.push({
            authorization: request.headers.get('authorization'),
            body: (await request.json()) as Record<string, string>,
          });
          return Response.json({ id: `mail-${mails.length}` });
        },
      },
      {
        name: 'conformance',
        modules: true,
        script: conformance,
        compatibilityDate,
        d1Databases: { DB: 'test-db' },
      },
    ],
  });
  const migration = readFileSync(join(root, 'examples/cloudflare-workers/migrations/0001_init.sql'), 'utf8');
  const statements = migration
    .replace(/--.*$/gm, '')
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '');
  for (const worker of ['app', 'conformance']) {
    const db = await mf.getD1Database('DB', worker);
    for (const statement of statements) await db.prepare(statement).run();
  }
}, 240_000);

afterAll(async () => {
  await mf?.dispose();
});

/** The conformance Worker's fetch (miniflare's own types need @cloudflare/workers-types). */
async function conformanceFetch(url: string): Promise<Response> {
  const worker = (await mf.getWorker('conformance')) as unknown as { fetch(url: string): Promise<Response> };
  return worker.fetch(url);
}

describe('d1Storage passes the storage conformance suite inside workerd', () => {
  it('registers every case (reopen included)', async () => {
    const titles = await (await conformanceFetch('http://conformance/')).json();
    expect(titles).toEqual(storageConformanceCases.map((testCase) => testCase.title));
  });

  for (const testCase of storageConformanceCases) {
    it(`${testCase.id}: ${testCase.title}`, async () => {
      const response = await conformanceFetch(
        `http://conformance/run?title=${encodeURIComponent(testCase.title)}`,
      );
      expect(await response.json()).toEqual({ ok: true });
    });
  }
});

describe('the Worker routes, in workerd on D1', () => {
  const keys: Record<string, string> = {};
  /**
   * Sends a Web `Request` (e.g. from a licensekit/testing builder) to the Worker. `unread`: the
   * Worker answers before reading the whole body (413), so workerd closes the connection; the
   * request asks for that itself, or the next request could be sent on the closing connection.
   */
  const send = async (request: Request, { unread = false } = {}) => {
    const response = await mf.dispatchFetch(request.url, {
      method: request.method,
      headers: [...request.headers, ...(unread ? [['connection', 'close'] as [string, string]] : [])],
      body: request.method === 'GET' ? undefined : new Uint8Array(await request.arrayBuffer()),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  const api = (path: string, body: unknown, ip = '203.0.113.1', contentType = 'application/json') =>
    send(
      new Request(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': contentType, 'cf-connecting-ip': ip },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
      { unread: JSON.stringify(body).length > 16 * 1024 },
    );
  const webhook = (store: string) => `${base}/api/v1/webhooks/${store}`;

  it('turns a signed Stripe checkout into a license, emails it through the mail API, and dedupes', async () => {
    const event = stripeCheckoutCompletedEvent({ email: 'stripe@example.com', productId: 'app' });
    const request = () =>
      stripeWebhookRequest(event, secrets.STRIPE_WEBHOOK_SECRET, { url: webhook('stripe') });
    const created = await send(await request());
    expect(created).toMatchObject({ status: 200, body: { action: 'created' } });
    keys.stripe = created.body.licenseKey as string;
    const duplicate = await send(await request());
    expect(duplicate.body).toEqual({ action: 'duplicate', licenseKey: keys.stripe });
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({
      authorization: 'Bearer mail-key',
      body: { from: 'Shop <shop@example.com>', to: 'stripe@example.com' },
    });
    expect(mails[0]!.body.text).toContain(keys.stripe);
  });

  it('takes Gumroad, Lemon Squeezy and Paddle webhooks too, into D1', async () => {
    const requests = {
      gumroad: await gumroadPingRequest(gumroadSaleFields({ email: 'g@example.com', productId: 'app' }), {
        url: webhook('gumroad'),
        token: secrets.GUMROAD_TOKEN,
      }),
      lemonsqueezy: await lemonSqueezyWebhookRequest(
        lemonSqueezyOrderCreatedEvent({ email: 'l@example.com', productId: 7 }),
        secrets.LEMONSQUEEZY_SECRET,
        { url: webhook('lemonsqueezy') },
      ),
      paddle: await paddleWebhookRequest(
        paddleTransactionCompletedEvent({ email: 'p@example.com', productId: 'pro_app' }),
        secrets.PADDLE_SECRET,
        { url: webhook('paddle') },
      ),
    };
    for (const [store, request] of Object.entries(requests)) {
      const { status, body } = await send(request);
      expect([store, status, body.action]).toEqual([store, 200, 'created']);
      keys[store] = body.licenseKey as string;
    }
    const db = await mf.getD1Database('DB', 'app');
    const rows = await db.prepare('SELECT purchase_source AS source FROM licenses ORDER BY seq').all();
    expect((rows.results as { source: string }[]).map((row) => row.source)).toEqual([
      'stripe',
      'gumroad',
      'lemonsqueezy',
      'paddle',
    ]);
  });

  it('gives a Pro tier the plan the Express example gives it: a year on 3 devices', async () => {
    const order = lemonSqueezyOrderCreatedEvent({
      email: 'pro@example.com',
      productId: 8,
      variantName: 'Pro',
    });
    const created = await send(
      await lemonSqueezyWebhookRequest(order, secrets.LEMONSQUEEZY_SECRET, { url: webhook('lemonsqueezy') }),
    );
    const key = created.body.licenseKey as string;
    const { body } = await api('/api/v1/licenses/validate', { key, hardwareId: 'pc-1' });
    expect(body).toMatchObject({ valid: true, license: { maxDevices: 3 } });
    // A year from now (the Worker's clock is the real one), as the Express example's Pro plan gives.
    const term = Date.parse((body.license as { expiresAt: string }).expiresAt) - Date.now();
    expect(Math.abs(term - 365 * 86_400_000)).toBeLessThan(60_000);
  });

  it('answers 503 when the mail API fails, and the store retry sends the email', async () => {
    const event = stripeCheckoutCompletedEvent({ email: 'retry@example.com', productId: 'app' });
    const request = () =>
      stripeWebhookRequest(event, secrets.STRIPE_WEBHOOK_SECRET, { url: webhook('stripe') });
    failNextMail = true;
    expect((await send(await request())).status).toBe(503);
    const retry = await send(await request());
    expect(retry.status).toBe(200);
    expect(mails.at(-1)?.body.to).toBe('retry@example.com');
  });

  it('refuses unsigned, forged, unknown, oversized and non-POST webhooks', async () => {
    const event = stripeCheckoutCompletedEvent({ email: 'x@example.com', productId: 'app' });
    const unsigned = new Request(webhook('stripe'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
    expect((await send(unsigned)).status).toBe(401);
    expect(
      (await send(await stripeWebhookRequest(event, 'whsec_wrong', { url: webhook('stripe') }))).status,
    ).toBe(401);
    expect((await send(new Request(webhook('stripe')))).status).toBe(405);
    expect((await send(new Request(webhook('paypal'), { method: 'POST', body: '{}' }))).status).toBe(404);
    const huge = await stripeWebhookRequest('x'.repeat(1024 * 1024 + 1), secrets.STRIPE_WEBHOOK_SECRET, {
      url: webhook('stripe'),
    });
    expect((await send(huge, { unread: true })).status).toBe(413);
  });

  it('validates, hits the seat limit, deactivates and validates again', async () => {
    const key = keys.stripe!;
    const laptop = await api('/api/v1/licenses/validate', {
      key,
      hardwareId: 'laptop',
      deviceName: 'Laptop',
    });
    expect(laptop).toMatchObject({
      status: 200,
      body: {
        valid: true,
        code: 'VALID',
        license: { key, status: 'active', maxDevices: 1, devicesInUse: 1 },
      },
    });
    expect(JSON.stringify(laptop.body)).not.toContain('stripe@example.com');
    const desktop = await api('/api/v1/licenses/validate', { key, hardwareId: 'desktop' });
    expect(desktop.body).toMatchObject({ valid: false, code: 'DEVICE_LIMIT_REACHED' });
    const freed = await api('/api/v1/licenses/deactivate', { key, hardwareId: 'laptop' });
    expect(freed).toMatchObject({ status: 200, body: { key, devicesInUse: 0 } });
    expect((await api('/api/v1/licenses/validate', { key, hardwareId: 'desktop' })).body).toMatchObject({
      code: 'VALID',
    });
    expect((await api('/api/v1/licenses/validate', { key: 'NO-SUCH-KEY' })).body).toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('answers 400, 404, 405, 413 and 415 for bad license requests', async () => {
    const ip = '203.0.113.2';
    expect((await api('/api/v1/licenses/validate', '{"key":', ip)).status).toBe(400);
    expect((await api('/api/v1/licenses/validate', { key: 1 }, ip)).status).toBe(400);
    expect((await api('/api/v1/licenses/validate', 'key=1', ip, 'text/plain')).status).toBe(415);
    expect((await api('/api/v1/licenses/validate', { key: 'k', pad: 'x'.repeat(20_000) }, ip)).status).toBe(
      413,
    );
    expect(
      (await api('/api/v1/licenses/deactivate', { key: 'NO-SUCH-KEY', hardwareId: 'x' }, ip)).status,
    ).toBe(404);
    expect((await send(new Request(`${base}/api/v1/licenses/validate`))).status).toBe(405);
  });

  it('answers 429 once an IP has used its limit, while other IPs go on', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < rateLimit + 2; i++) {
      statuses.push((await api('/api/v1/licenses/validate', { key: keys.gumroad }, '198.51.100.7')).status);
    }
    expect(statuses.slice(0, rateLimit).every((status) => status === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    expect((await api('/api/v1/licenses/validate', { key: keys.gumroad }, '198.51.100.8')).status).toBe(200);
  });

  it('limits an IPv6 client by its /64, not per address', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= rateLimit + 1; i++) {
      const ip = `2001:db8:1:2::${i.toString(16)}`;
      statuses.push((await api('/api/v1/licenses/validate', { key: keys.gumroad }, ip)).status);
    }
    expect(statuses.slice(0, rateLimit).every((status) => status === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    expect((await api('/api/v1/licenses/validate', { key: keys.gumroad }, '2001:db8:1:3::1')).status).toBe(
      200,
    );
  });

  it('reads a streamed body (no Content-Length) chunk by chunk: parsed under 16 KiB, 413 over', async () => {
    /** Posts `parts` one chunk each: an async iterable body is sent chunked. */
    const streamed = (parts: string[]) =>
      mf.dispatchFetch(`${base}/api/v1/licenses/validate`, {
        method: 'POST',
        // The 413 leaves the rest of its body unread (see `send`).
        headers: {
          'content-type': 'application/json',
          'cf-connecting-ip': '203.0.113.3',
          connection: 'close',
        },
        body: (async function* () {
          for (const part of parts) yield new TextEncoder().encode(part);
        })(),
        duplex: 'half',
      });
    const padding = (count: number) => Array<string>(count).fill(' '.repeat(4096));
    const valid = await streamed([...padding(2), JSON.stringify({ key: keys.gumroad })]);
    expect([valid.status, await valid.json()]).toMatchObject([200, { valid: true }]);
    const huge = await streamed([...padding(5), '{}']);
    expect([huge.status, await huge.json()]).toEqual([413, { error: 'too large' }]);
  });

  it('keeps the stats behind the admin bearer token', async () => {
    const stats = (authorization?: string) =>
      send(new Request(`${base}/api/v1/admin/stats`, { headers: authorization ? { authorization } : {} }));
    expect((await stats()).status).toBe(401);
    expect((await stats('Bearer wrong')).status).toBe(401);
    const before = await stats(`Bearer ${secrets.ADMIN_TOKEN}`);
    expect(before).toMatchObject({ status: 200, body: { totalRefunds: 0 } });
    // One more sale counts once, whatever the tests before this one sold.
    const order = lemonSqueezyOrderCreatedEvent({ email: 'stats@example.com', productId: 9 });
    await send(
      await lemonSqueezyWebhookRequest(order, secrets.LEMONSQUEEZY_SECRET, { url: webhook('lemonsqueezy') }),
    );
    const after = await stats(`Bearer ${secrets.ADMIN_TOKEN}`);
    expect(after.body.totalPurchases).toBe((before.body.totalPurchases as number) + 1);
  });
});
