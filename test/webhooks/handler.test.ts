import { describe, expect, it } from 'vitest';
import {
  createWebhookHandler,
  LicenseKitError,
  LicenseManager,
  memoryStorage,
  NormalizationError,
  type PurchaseEvent,
  parsePurchaseEvent,
  type Storage,
  type WebhookProvider,
  WebhookVerificationError,
} from '../../src/index.js';
import { fakeClock, memoryMailer, purchaseEventFixture } from '../../src/testing.js';

/** A store of our own: the body is a PurchaseEvent as JSON, authenticated by an `x-secret` header. */
const ownStore: WebhookProvider = {
  id: 'own',
  accepts: ['application/json'],
  async parse(request) {
    if (request.headers.get('x-secret') !== 's3cret')
      throw new WebhookVerificationError('WEBHOOK_UNAUTHORIZED', 'bad secret');
    const text = await request.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new NormalizationError('NORMALIZATION_FAILED', 'not JSON');
    }
    if ((body as { ping?: boolean }).ping) return null;
    try {
      return parsePurchaseEvent(body);
    } catch (error) {
      throw new NormalizationError('NORMALIZATION_FAILED', 'not an event', {
        issues: (error as LicenseKitError).issues,
      });
    }
  },
};

function post(body: unknown, headers: Record<string, string> = {}): Request {
  return new Request('https://shop.example/webhooks/own', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-secret': 's3cret', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function setup(storage: Storage = memoryStorage()) {
  const mailer = memoryMailer();
  const manager = new LicenseManager({ storage, mailer, clock: fakeClock() });
  const errors: unknown[] = [];
  const handle = createWebhookHandler({
    provider: ownStore,
    manager,
    onError: (error) => errors.push(error),
  });
  const count = async () => {
    let n = 0;
    for await (const _ of storage.purchases.scan()) n++;
    return n;
  };
  return { handle, mailer, manager, errors, count };
}

const sale = (): PurchaseEvent => purchaseEventFixture({ purchase: { source: 'own' } });

describe('createWebhookHandler', () => {
  it('200 with the action and key; a duplicate answers with the same key', async () => {
    const { handle } = setup();
    const event = sale();
    const first = await handle(post(event));
    expect(first.status).toBe(200);
    const body = (await first.json()) as { action: string; licenseKey: string };
    expect(body.action).toBe('created');
    expect(await (await handle(post(event))).json()).toEqual({
      action: 'duplicate',
      licenseKey: body.licenseKey,
    });
  });

  it('a non-purchase event is acknowledged and ignored', async () => {
    const { handle, count } = setup();
    const response = await handle(post({ ping: true }));
    expect([response.status, await response.json()]).toEqual([200, { action: 'ignored', licenseKey: null }]);
    expect(await count()).toBe(0);
  });

  it('405, 415, 413 and 401 write nothing and say nothing secret', async () => {
    const { handle, count } = setup();
    const get = await handle(new Request('https://shop.example/webhooks/own'));
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await handle(post(sale(), { 'content-type': 'text/plain' }))).status).toBe(415);
    const huge = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });
    expect((await handle(post(huge))).status).toBe(413);
    const streamed = new Request('https://shop.example/webhooks/own', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-secret': 's3cret' },
      body: new ReadableStream({
        pull(controller) {
          controller.enqueue(new Uint8Array(256 * 1024));
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect((await handle(streamed)).status).toBe(413);
    const unauthorized = await handle(post(sale(), { 'x-secret': 'wrong' }));
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.text()).not.toContain('s3cret');
    expect(await count()).toBe(0);
  });

  it('400 lists the issues of a malformed payload and writes nothing', async () => {
    const { handle, count } = setup();
    const response = await handle(post({ ...sale(), occurredAt: 'soon' }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { issues: { path: string }[] };
    expect(body.issues.map((issue) => issue.path)).toEqual(['occurredAt']);
    expect((await handle(post('{not json'))).status).toBe(400);
    expect(await count()).toBe(0);
  });

  it('503 when the email fails, so the store retries; the retry sends it once', async () => {
    const { handle, mailer, errors } = setup();
    mailer.failNext();
    const event = sale();
    expect((await handle(post(event))).status).toBe(503);
    expect(errors).toHaveLength(1);
    const retry = await handle(post(event));
    expect([retry.status, ((await retry.json()) as { action: string }).action]).toEqual([200, 'duplicate']);
    expect(mailer.sent).toHaveLength(1);
    await handle(post(event));
    expect(mailer.sent).toHaveLength(1);
  });

  it('500 when the storage fails, and the error goes to onError without secrets in the response', async () => {
    const storage = memoryStorage();
    storage.licenses.insert = async () => {
      throw new LicenseKitError('STORAGE_IO', 'disk full');
    };
    const { handle, errors } = setup(storage);
    const response = await handle(post(sale()));
    expect([response.status, await response.json()]).toEqual([500, { error: 'internal error' }]);
    expect(errors).toHaveLength(1);
  });

  it('500 when the plans function returns no plan: the server is misconfigured, the store retries', async () => {
    const storage = memoryStorage();
    const errors: unknown[] = [];
    const handle = createWebhookHandler({
      provider: ownStore,
      manager: new LicenseManager({ storage, clock: fakeClock(), plans: () => undefined as never }),
      onError: (error) => errors.push(error),
    });
    const response = await handle(post(sale()));
    expect([response.status, await response.json()]).toEqual([500, { error: 'internal error' }]);
    expect(errors).toEqual([expect.objectContaining({ code: 'INVALID_PLAN' })]);
    for await (const _ of storage.purchases.scan()) throw new Error('nothing may be recorded');
  });
});
