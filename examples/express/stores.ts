/** Which stores the server answers for, from environment variables: a store is on when its secret is set. */
import { gumroad, lemonSqueezy, paddle, paypal, stripe, type WebhookProvider } from 'licensekit';

/** Store id (the `:store` of `/api/v1/webhooks/:store`) → provider. */
export function storesFromEnv(
  env: NodeJS.ProcessEnv,
  fetchImpl: typeof fetch = fetch,
): Record<string, WebhookProvider> {
  const stores: Record<string, WebhookProvider> = {};
  if (env.GUMROAD_TOKEN || env.GUMROAD_SELLER_ID) {
    stores.gumroad = gumroad({
      token: env.GUMROAD_TOKEN || undefined,
      sellerId: env.GUMROAD_SELLER_ID || undefined,
    });
  }
  if (env.STRIPE_WEBHOOK_SECRET) {
    stores.stripe = stripe({ signingSecret: env.STRIPE_WEBHOOK_SECRET, productId: env.STRIPE_PRODUCT_ID });
  }
  if (env.LEMONSQUEEZY_SECRET) stores.lemonsqueezy = lemonSqueezy({ signingSecret: env.LEMONSQUEEZY_SECRET });
  if (env.PADDLE_SECRET) {
    const sandbox = env.PADDLE_SANDBOX === 'true';
    const apiKey = env.PADDLE_API_KEY;
    stores.paddle = paddle({
      secret: env.PADDLE_SECRET,
      sandbox,
      // Paddle transactions carry only a customer id: look the buyer up (else custom_data.email is used).
      resolveCustomer: apiKey
        ? async (id) => {
            const api = sandbox ? 'https://sandbox-api.paddle.com' : 'https://api.paddle.com';
            const response = await fetchImpl(`${api}/customers/${encodeURIComponent(id)}`, {
              headers: { authorization: `Bearer ${apiKey}` },
            });
            if (!response.ok) throw new Error(`Paddle answered ${response.status} for customer ${id}`);
            const { data } = (await response.json()) as { data: { email: string; name: string | null } };
            return { email: data.email, name: data.name };
          }
        : undefined,
    });
  }
  if (env.PAYPAL_WEBHOOK_ID) {
    // Certificates are fetched once per URL (licensekit only asks for URLs on PayPal's API hosts).
    // fetch throws only when PayPal cannot be reached (a 503, so PayPal retries); an error response
    // is no certificate: '' is refused (401) and not cached, so forged URLs cannot fill the cache.
    const certificates = new Map<string, string>();
    const getCertificate = async (url: string) => {
      const cached = certificates.get(url);
      if (cached !== undefined) return cached;
      const response = await fetchImpl(url);
      if (!response.ok) return '';
      const pem = await response.text();
      certificates.set(url, pem);
      return pem;
    };
    stores.paypal = paypal({ webhookId: env.PAYPAL_WEBHOOK_ID, verify: { getCertificate } });
  }
  return stores;
}
