import { describe, expect, it } from 'vitest';
import { createWebhookHandler, gumroad, LicenseManager, memoryStorage } from '../../src/index.js';
import { fakeClock } from '../../src/testing.js';

// Gumroad's subscription pings carry no seller_id, and seller ids are public: with
// `gumroad({ sellerId })` and no token, nothing vouches for a subscription ping, so it is refused
// even when a seller_id is added to it.

const sellerId = 'c2VsbGVyLWEtMQ-Ab==';

function subscriptionPing(resource: string, extra: Record<string, string> = {}): Request {
  const fields = {
    subscription_id: 'c3ViLTAwMQ-Zz==',
    product_id: 'cHJvZC1waXhlbA-Xy==',
    product_name: 'Pixel Forge',
    user_id: '7700112233',
    user_email: 'ana@example.com',
    created_at: '2024-01-05T09:00:00Z',
    ended_at: '2024-06-05T09:00:00Z',
    ended_reason: 'cancelled',
    resource_name: resource,
    ...extra,
  };
  return new Request('https://shop.example/webhooks/gumroad', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

describe('gumroad({ sellerId }) without a token', () => {
  const handler = () =>
    createWebhookHandler({
      provider: gumroad({ sellerId }),
      manager: new LicenseManager({ storage: memoryStorage(), clock: fakeClock() }),
      onError: () => undefined,
    });

  it('control: a subscription ping as Gumroad sends it (no seller_id) is 401', async () => {
    expect((await handler()(subscriptionPing('subscription_ended'))).status).toBe(401);
  });

  it('a subscription ping is 401 even when a seller_id field is added to it', async () => {
    const response = await handler()(subscriptionPing('subscription_ended', { seller_id: sellerId }));
    expect(response.status).toBe(401);
  });
});
