/** Which stores the server answers for, from environment variables: a store is on when its secret is set. */
import {
  gumroad,
  lemonSqueezy,
  paddle,
  payPalCertificateHosts,
  paypal,
  stripe,
  type WebhookProvider,
} from 'licensekit';

/** Store id (the `:store` of `/api/v1/webhooks/:store`) → provider. */
export function storesFromEnv(
  env: NodeJS.ProcessEnv,
  fetchImpl: typeof fetch = fetch,
): Record<string, WebhookProvider> {
  const stores: Record<string, WebhookProvider> = {};
  if (env.GUMROAD_TOKEN || env.GUMROAD_SELLER_ID) {
    // The token is what authenticates a ping: a seller id alone is refused at startup.
    stores.gumroad = gumroad({
      token: env.GUMROAD_TOKEN ?? '',
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
    stores.paypal = paypal({
      webhookId: env.PAYPAL_WEBHOOK_ID,
      verify: { getCertificate: paypalCertificates(fetchImpl) },
    });
  }
  return stores;
}

/** The shape of PayPal's certificate URLs: https, no port, query or fragment; the host is checked apart. */
const certificateUrl = /^https:\/\/([a-z.-]+)\/v1\/notifications\/certs\/CERT-[A-Za-z0-9-]+$/;

/** At most this many certificates are kept (PayPal uses a few); beyond it, the oldest is dropped. */
const maxCertificates = 16;

/**
 * PayPal's `getCertificate`: fetches each certificate once and keeps it. The URL is the sender's
 * (PAYPAL-CERT-URL), so only PayPal's own shape is fetched: anything else, such as the real URL with
 * `?n=1` appended, is refused (401) without a fetch. What is not a certificate (an error response)
 * is refused and not kept, and at most 16 are kept, so forged URLs cannot fill the cache; a made-up
 * CERT id costs one fetch per request, no more. fetch throws only when PayPal cannot be reached:
 * that answers 503, so PayPal retries.
 */
function paypalCertificates(fetchImpl: typeof fetch): (url: string) => Promise<string> {
  const certificates = new Map<string, string>();
  return async (url) => {
    const host = certificateUrl.exec(url)?.[1];
    if (host === undefined || !payPalCertificateHosts.includes(host)) return '';
    const cached = certificates.get(url);
    if (cached !== undefined) return cached;
    const response = await fetchImpl(url);
    if (!response.ok) return '';
    const pem = await response.text();
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) return '';
    certificates.set(url, pem);
    if (certificates.size > maxCertificates) certificates.delete(certificates.keys().next().value!);
    return pem;
  };
}
