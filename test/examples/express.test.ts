/**
 * examples/express: the real server (`server.ts`, configured by environment variables) on an
 * ephemeral port of 127.0.0.1, spoken to over HTTP; then stopped with SIGTERM and started again on
 * the same data dir. Plus the SMTP mailer, the env-driven store setup and the rate limit, in process.
 */
import { type ChildProcessByStdio, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Request as ExpressRequest, Response as ExpressResponse, RequestHandler } from 'express';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  gumroadPingRequest,
  gumroadSaleFields,
  lemonSqueezyOrderCreatedEvent,
  lemonSqueezyWebhookRequest,
  paddleTransactionCompletedEvent,
  paddleWebhookRequest,
  paypalCaptureCompletedEvent,
  paypalTestCredentials,
  paypalWebhookRequest,
  stripeCheckoutCompletedEvent,
  stripeWebhookRequest,
} from '../../src/testing.js';
import { childEnv, ensureBuilt, root } from '../helpers/ensure-built.js';

const secrets = {
  GUMROAD_TOKEN: 'gumroad-token-0123456789abcdef',
  STRIPE_WEBHOOK_SECRET: 'whsec_test_0123456789abcdef',
  LEMONSQUEEZY_SECRET: 'lemon-secret-0123456789',
  PADDLE_SECRET: 'pdl_ntfset_test_0123456789',
  ADMIN_TOKEN: 'admin-token-0123456789abcdef',
};
const burst = 30;

// The examples import `licensekit` (dist/) by name: build first, then import them.
beforeAll(ensureBuilt, 200_000);
const examples = async () => ({
  ...(await import('../../examples/express/env.js')),
  ...(await import('../../examples/express/smtp-mailer.js')),
  ...(await import('../../examples/express/stores.js')),
});

interface Server {
  url: string;
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts examples/express/server.ts and resolves once it prints the URL it listens on. */
async function start(dataDir: string): Promise<Server> {
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(
    process.execPath,
    ['--import', 'tsx', 'examples/express/server.ts'],
    {
      cwd: root,
      env: {
        ...childEnv,
        ...secrets,
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        RATE_LIMIT_BURST: String(burst),
        RATE_LIMIT_PER_MINUTE: '6',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${output}`)), 30_000);
    child.stdout.on('data', () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`the server exited with ${code}:\n${output}`)));
  });
  return {
    url,
    output: () => output,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      return ((await exited) as [number | null])[0];
    },
  };
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

describe('examples/express server.ts over HTTP', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'licensekit-express-'));
  let server: Server;
  const keys: Record<string, string> = {};
  const webhook = (store: string) => `${server.url}/api/v1/webhooks/${store}`;
  const validate = (body: unknown) => postJson(`${server.url}/api/v1/licenses/validate`, body);

  beforeAll(async () => {
    server = await start(dataDir);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('turns a signed webhook from each store into a license and emails it', async () => {
    const requests: Record<string, Request> = {
      gumroad: await gumroadPingRequest(
        gumroadSaleFields({ email: 'gumroad@example.com', productId: 'app', price: 2999 }),
        { url: webhook('gumroad'), token: secrets.GUMROAD_TOKEN },
      ),
      stripe: await stripeWebhookRequest(
        stripeCheckoutCompletedEvent({ email: 'stripe@example.com', productId: 'app' }),
        secrets.STRIPE_WEBHOOK_SECRET,
        { url: webhook('stripe') },
      ),
      lemonsqueezy: await lemonSqueezyWebhookRequest(
        lemonSqueezyOrderCreatedEvent({ email: 'lemon@example.com', productId: 42 }),
        secrets.LEMONSQUEEZY_SECRET,
        { url: webhook('lemonsqueezy') },
      ),
      paddle: await paddleWebhookRequest(
        paddleTransactionCompletedEvent({ email: 'paddle@example.com', productId: 'pro_app' }),
        secrets.PADDLE_SECRET,
        { url: webhook('paddle') },
      ),
    };
    for (const [store, request] of Object.entries(requests)) {
      const again = request.clone();
      const response = await fetch(request);
      const body = (await response.json()) as { action: string; licenseKey: string };
      expect([store, response.status, body.action]).toEqual([store, 200, 'created']);
      keys[store] = body.licenseKey;
      expect(server.output()).toContain(`│ ${body.licenseKey}`); // the console mailer's email
      const duplicate = await fetch(again);
      expect(await duplicate.json()).toEqual({ action: 'duplicate', licenseKey: body.licenseKey });
    }
    expect(new Set(Object.values(keys)).size).toBe(4);
  });

  it('refuses forged, unknown, oversized and wrongly typed webhooks', async () => {
    const event = stripeCheckoutCompletedEvent({ email: 'x@example.com', productId: 'app' });
    const forged = await stripeWebhookRequest(event, 'whsec_wrong', { url: webhook('stripe') });
    expect((await fetch(forged)).status).toBe(401);
    const wrongToken = await gumroadPingRequest(
      gumroadSaleFields({ email: 'x@example.com', productId: 'app' }),
      {
        url: webhook('gumroad'),
        token: 'guess',
      },
    );
    expect((await fetch(wrongToken)).status).toBe(401);
    const unsigned = await fetch(webhook('paddle'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(paddleTransactionCompletedEvent({ email: 'x@example.com', productId: 'p' })),
    });
    expect(unsigned.status).toBe(401);
    expect((await fetch(webhook('stripe'))).status).toBe(405);
    expect((await fetch(webhook('paypal'), { method: 'POST', body: '{}' })).status).toBe(404);
    const huge = await fetch(webhook('stripe'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(1024 * 1024 + 1),
    });
    expect(huge.status).toBe(413);
    const text = await stripeWebhookRequest(event, secrets.STRIPE_WEBHOOK_SECRET, {
      url: webhook('stripe'),
      headers: { 'content-type': 'text/plain' },
    });
    expect((await fetch(text)).status).toBe(415);
    const stats = await fetch(`${server.url}/api/v1/admin/stats`, {
      headers: { authorization: `Bearer ${secrets.ADMIN_TOKEN}` },
    });
    expect(((await stats.json()) as { totalPurchases: number }).totalPurchases).toBe(4); // nothing written
  });

  it('validates on two devices against one seat, and deactivating frees it', async () => {
    const key = keys.gumroad!;
    const laptop = await validate({ key, hardwareId: 'laptop', deviceName: 'Laptop' });
    expect(laptop.status).toBe(200);
    expect(laptop.body).toMatchObject({
      valid: true,
      code: 'VALID',
      device: { hardwareId: 'laptop', deviceName: 'Laptop' },
      license: { key, productId: 'app', status: 'active', maxDevices: 1, devicesInUse: 1 },
    });
    expect(JSON.stringify(laptop.body)).not.toContain('gumroad@example.com'); // no buyer details
    expect((await validate({ key: key.toLowerCase(), hardwareId: 'desktop' })).body).toMatchObject({
      valid: false,
      code: 'DEVICE_LIMIT_REACHED',
    });
    const freed = await postJson(`${server.url}/api/v1/licenses/deactivate`, { key, hardwareId: 'laptop' });
    expect(freed).toMatchObject({ status: 200, body: { key, devicesInUse: 0, maxDevices: 1 } });
    expect((await validate({ key, hardwareId: 'desktop' })).body).toMatchObject({
      valid: true,
      code: 'VALID',
    });
    expect((await validate({ key: 'NO-SUCH-KEY' })).body).toMatchObject({ valid: false, code: 'NOT_FOUND' });
    const unknown = await postJson(`${server.url}/api/v1/licenses/deactivate`, {
      key: 'NO-SUCH-KEY',
      hardwareId: 'x',
    });
    expect(unknown.status).toBe(404);
  });

  it('answers 400 for bad JSON or fields, 415 for other types and 413 over 1 MiB', async () => {
    expect((await validate('{"key": ')).status).toBe(400);
    expect((await validate('[1, 2]')).status).toBe(400);
    expect((await validate({ hardwareId: 'no key' })).status).toBe(400);
    expect((await validate({ key: 42 })).status).toBe(400);
    const form = await fetch(`${server.url}/api/v1/licenses/validate`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'key=abc',
    });
    expect(form.status).toBe(415);
    const huge = await validate({ key: 'k', padding: 'x'.repeat(1024 * 1024) });
    expect(huge.status).toBe(413);
  });

  it('answers 429 with Retry-After once an IP exceeds its burst', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < burst + 5; i++) {
      const response = await validate({ key: keys.stripe, hardwareId: 'burst' });
      statuses.push(response.status);
      retryAfter ??= response.headers.get('retry-after');
    }
    expect(statuses).toContain(200);
    expect(statuses.at(-1)).toBe(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it('keeps the admin routes behind the bearer token', async () => {
    const stats = `${server.url}/api/v1/admin/stats`;
    expect((await fetch(stats)).status).toBe(401);
    expect((await fetch(stats, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(stats, { headers: { authorization: secrets.ADMIN_TOKEN } })).status).toBe(401);
    const response = await fetch(stats, { headers: { authorization: `Bearer ${secrets.ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ totalPurchases: 4, totalRefunds: 0 });
  });

  it('shuts down on SIGTERM and finds every license after a restart on the same data dir', async () => {
    expect(await server.stop()).toBe(0);
    expect(server.output()).toMatch(/SIGTERM: closing the server[\s\S]*store closed/);
    server = await start(dataDir);
    const response = await fetch(`${server.url}/api/v1/admin/licenses`, {
      headers: { authorization: `Bearer ${secrets.ADMIN_TOKEN}` },
    });
    const licenses = (await response.json()) as { key: string; purchaseSource: string }[];
    expect(Object.fromEntries(licenses.map((license) => [license.purchaseSource, license.key]))).toEqual(
      keys,
    );
    const desktop = await validate({ key: keys.gumroad, hardwareId: 'desktop' });
    expect(desktop.body).toMatchObject({ code: 'VALID', license: { devicesInUse: 1 } });
  });
});

describe('examples/express smtpMailer', () => {
  it('hands nodemailer the message with the default sender', async () => {
    const { smtpMailer } = await examples();
    const json = nodemailer.createTransport({ jsonTransport: true });
    const sent: Record<string, unknown>[] = [];
    const mailer = smtpMailer(
      { host: 'smtp.example.com', from: 'Shop <shop@example.com>' },
      { sendMail: async (mail) => sent.push(JSON.parse((await json.sendMail(mail)).message)) },
    );
    await mailer.send({ to: 'ada@example.com', subject: 'Your key', text: 'KEY', html: '<b>KEY</b>' });
    expect(sent).toEqual([
      expect.objectContaining({
        from: { address: 'shop@example.com', name: 'Shop' },
        to: [{ address: 'ada@example.com', name: '' }],
        subject: 'Your key',
        text: 'KEY',
        html: '<b>KEY</b>',
      }),
    ]);
  });
});

type PayPalCredentials = Awaited<ReturnType<typeof paypalTestCredentials>>;

/** The PayPal store of `storesFromEnv` (webhook id WH-1) over a fetch that records each URL it is asked. */
async function paypalStore(answer: (url: string, credentials: PayPalCredentials) => Response) {
  const { storesFromEnv } = await examples();
  const credentials = await paypalTestCredentials();
  const fetched: string[] = [];
  const fakeFetch = (async (url: string) => {
    fetched.push(url);
    return answer(url, credentials);
  }) as typeof fetch;
  return { paypal: storesFromEnv({ PAYPAL_WEBHOOK_ID: 'WH-1' }, fakeFetch).paypal!, credentials, fetched };
}

describe('examples/express settings from the environment', () => {
  it('reads TRUST_PROXY as Express takes it, with true, false and empty meaning what they say', async () => {
    const { trustProxyFrom } = await examples();
    expect([undefined, '', ' ', 'false', 'true', '1', 'loopback'].map(trustProxyFrom)).toEqual([
      false,
      false,
      false,
      false,
      true,
      1,
      'loopback',
    ]);
  });

  it('the server refuses to start on a rate limit of 0 or a port that is no number, and says why', () => {
    for (const [name, value] of [
      ['RATE_LIMIT_PER_MINUTE', '0'],
      ['RATE_LIMIT_BURST', '0'],
      ['PORT', 'eighty'],
    ] as const) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/express/server.ts'], {
        cwd: root,
        // It stops before it opens the storage: the data directory is never made.
        env: {
          ...childEnv,
          PORT: '0',
          HOST: '127.0.0.1',
          DATA_DIR: join(tmpdir(), 'lk-never-made'),
          [name]: value,
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect({ name, status: run.status === 0 ? 0 : 'failed', said: run.stderr }).toEqual({
        name,
        status: 'failed',
        said: expect.stringContaining(`${name} must be a whole number`),
      });
    }
  });

  it('refuses a rate limit of 0 or a number that is not whole, and takes the default when empty', async () => {
    const { wholeNumber } = await examples();
    expect(wholeNumber({}, 'RATE_LIMIT_PER_MINUTE', 30, 1)).toBe(30);
    expect(wholeNumber({ RATE_LIMIT_PER_MINUTE: '' }, 'RATE_LIMIT_PER_MINUTE', 30, 1)).toBe(30);
    expect(wholeNumber({ RATE_LIMIT_PER_MINUTE: '12' }, 'RATE_LIMIT_PER_MINUTE', 30, 1)).toBe(12);
    for (const bad of ['0', '-1', '1.5', 'ten']) {
      expect(() => wholeNumber({ RATE_LIMIT_PER_MINUTE: bad }, 'RATE_LIMIT_PER_MINUTE', 30, 1)).toThrow(
        'RATE_LIMIT_PER_MINUTE must be a whole number of at least 1',
      );
    }
  });
});

describe('examples/express storesFromEnv', () => {
  it('configures a store per secret set, and no others', async () => {
    const { storesFromEnv } = await examples();
    expect(Object.keys(storesFromEnv({ STRIPE_WEBHOOK_SECRET: 'whsec_x', GUMROAD_TOKEN: 't' }))).toEqual([
      'gumroad',
      'stripe',
    ]);
    expect(storesFromEnv({})).toEqual({});
  });

  it('refuses a Gumroad seller id without the token at startup: a seller id is public', async () => {
    const { storesFromEnv } = await examples();
    expect(() => storesFromEnv({ GUMROAD_SELLER_ID: 'seller-abc' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(Object.keys(storesFromEnv({ GUMROAD_TOKEN: 't', GUMROAD_SELLER_ID: 'seller-abc' }))).toEqual([
      'gumroad',
    ]);
  });

  it('looks Paddle buyers up with PADDLE_API_KEY', async () => {
    const { storesFromEnv } = await examples();
    const calls: string[] = [];
    const fakeFetch = (async (url: string, init?: RequestInit) => {
      calls.push(`${url} ${new Headers(init?.headers).get('authorization')}`);
      return Response.json({ data: { email: 'Buyer@Example.com', name: 'Buyer' } });
    }) as typeof fetch;
    const stores = storesFromEnv(
      { PADDLE_SECRET: 'pdl_x', PADDLE_API_KEY: 'key', PADDLE_SANDBOX: 'true' },
      fakeFetch,
    );
    const payload = paddleTransactionCompletedEvent({ email: 'ignored@example.com', productId: 'pro_1' });
    const event = await stores.paddle!.parse(await paddleWebhookRequest(payload, 'pdl_x'));
    expect(event?.purchase).toMatchObject({
      email: 'buyer@example.com',
      customerName: 'Buyer',
      isTest: true,
    });
    expect(calls).toEqual([
      `https://sandbox-api.paddle.com/customers/${payload.data.customer_id} Bearer key`,
    ]);
  });

  it("verifies PayPal offline with PayPal's certificate, fetched once per URL", async () => {
    const { paypal, credentials, fetched } = await paypalStore(
      (_, { certificate }) => new Response(certificate),
    );
    for (const email of ['a@example.com', 'b@example.com']) {
      const capture = paypalCaptureCompletedEvent({ email, productId: 'app' });
      const request = await paypalWebhookRequest(capture, { ...credentials, webhookId: 'WH-1' });
      expect((await paypal.parse(request))?.purchase.email).toBe(email);
    }
    expect(fetched).toEqual([credentials.certUrl]);
  });

  it('answers a PayPal certificate URL with no certificate 401 (not cached), and PayPal unreachable 503', async () => {
    let reachable = true;
    const { paypal, credentials, fetched } = await paypalStore(() => {
      if (!reachable) throw new TypeError('fetch failed');
      return new Response('not found', { status: 404 });
    });
    const capture = paypalCaptureCompletedEvent({ email: 'a@example.com', productId: 'app' });
    const codes: unknown[] = [];
    for (const up of [true, true, false]) {
      reachable = up;
      const request = await paypalWebhookRequest(capture, { ...credentials, webhookId: 'WH-1' });
      codes.push(await paypal.parse(request).catch((error: { code?: unknown }) => error.code));
    }
    expect(codes).toEqual(['WEBHOOK_UNAUTHORIZED', 'WEBHOOK_UNAUTHORIZED', 'WEBHOOK_VERIFIER_UNAVAILABLE']);
    expect(fetched).toEqual([credentials.certUrl, credentials.certUrl, credentials.certUrl]);
  });

  it("refuses certificate URLs not of PayPal's shape (401) without fetching them", async () => {
    // PayPal's certificate host serves the certificate whatever query string is appended.
    const { paypal, credentials, fetched } = await paypalStore((url, { certUrl, certificate }) =>
      new URL(url).pathname === new URL(certUrl).pathname
        ? new Response(certificate)
        : new Response('not found', { status: 404 }),
    );
    const capture = paypalCaptureCompletedEvent({ email: 'a@example.com', productId: 'app' });
    const forged = [
      ...Array.from({ length: 20 }, (_, i) => `${credentials.certUrl}?n=${i}`),
      `${credentials.certUrl}#n`,
      `${credentials.certUrl}/`,
      credentials.certUrl.replace('/certs/', '/certs/../certs/'),
      credentials.certUrl.replace('api.paypal.com', 'api.paypal.com:443'),
      credentials.certUrl.replace('api.paypal.com', 'API.PAYPAL.COM'),
      credentials.certUrl.replace('https:', 'http:'),
      'https://api.paypal.com/v1/oauth2/token',
    ];
    const codes = new Set<unknown>();
    for (const certUrl of forged) {
      // Signed with the certificate's key, so each is refused for its URL alone.
      const request = await paypalWebhookRequest(capture, { ...credentials, webhookId: 'WH-1', certUrl });
      codes.add(await paypal.parse(request).catch((error: { code?: unknown }) => error.code));
    }
    expect([...codes]).toEqual(['WEBHOOK_UNAUTHORIZED']);
    expect(fetched).toEqual([]);
  });

  it('keeps at most 16 PayPal certificates, dropping the oldest', async () => {
    const { paypal, credentials, fetched } = await paypalStore(
      (_, { certificate }) => new Response(certificate),
    );
    const capture = paypalCaptureCompletedEvent({ email: 'a@example.com', productId: 'app' });
    const certUrl = (i: number) => `${credentials.certUrl}-${i}`;
    const parse = async (i: number) => {
      const request = await paypalWebhookRequest(capture, {
        ...credentials,
        webhookId: 'WH-1',
        certUrl: certUrl(i),
      });
      return (await paypal.parse(request))?.purchase.email;
    };
    for (let i = 0; i <= 16; i++) expect(await parse(i)).toBe('a@example.com');
    expect(fetched).toHaveLength(17);
    await parse(16); // still kept
    await parse(1); // the oldest kept
    await parse(0); // dropped when the 17th came in: fetched again
    expect(fetched.slice(17)).toEqual([certUrl(0)]);
  });
});

/** Runs the rate-limit middleware once for `ip` and returns the status it set (200 when it passed). */
function rateLimited(middleware: RequestHandler, ip: string): number {
  let status = 200;
  const res = {
    set: () => res,
    status: (code: number) => {
      status = code;
      return res;
    },
    json: () => res,
  } as unknown as ExpressResponse;
  middleware({ ip } as ExpressRequest, res, () => undefined);
  return status;
}

describe('examples/express rateLimit', () => {
  it('limits one IPv4 client, and the same client as IPv4-mapped IPv6', async () => {
    const { rateLimit } = await import('../../examples/express/rate-limit.js');
    const limit = rateLimit({ burst: 2, perMinute: 1 });
    const ips = ['198.51.100.7', '::ffff:198.51.100.7', '198.51.100.7', '198.51.100.8'];
    expect(ips.map((ip) => rateLimited(limit, ip))).toEqual([200, 200, 429, 200]);
  });

  it('gives one IPv6 client (one /64) one bucket, whatever its low bits', async () => {
    const { rateLimit } = await import('../../examples/express/rate-limit.js');
    const limit = rateLimit({ burst: 2, perMinute: 1 });
    const statuses = Array.from({ length: 20 }, (_, i) =>
      rateLimited(limit, `2001:db8:1:2::${(i + 1).toString(16)}`),
    );
    expect(statuses.filter((status) => status === 429)).toHaveLength(18);
    expect(rateLimited(limit, '2001:db8:1:2:ffff:ffff:ffff:ffff%eth0')).toBe(429);
    expect(rateLimited(limit, '2001:db8:1:3::1')).toBe(200);
  });
});
