import { defaultUrl, isoOf, post, randomId, utf8, type WebhookRequestOptions } from './_shared.js';

/** Options of {@link gumroadPingRequest}. */
export interface GumroadPingRequestOptions extends WebhookRequestOptions {
  /** The secret URL token `gumroad({ token })` expects, sent as `?token=`. Default: none. */
  token?: string;
}

/**
 * A Gumroad ping `Request`: `fields` form-encoded (`application/x-www-form-urlencoded`, as Gumroad
 * posts them) and `token`, if given, appended to the URL as `?token=` (other query parameters of
 * `url` are kept). Async like the other builders, though Gumroad signs nothing.
 */
export async function gumroadPingRequest(
  fields: Readonly<Record<string, string>>,
  options: GumroadPingRequestOptions = {},
): Promise<Request> {
  const url = new URL(options.url ?? defaultUrl('gumroad'));
  if (options.token !== undefined) url.searchParams.set('token', options.token);
  return post(
    url.href,
    { 'content-type': 'application/x-www-form-urlencoded' },
    utf8(new URLSearchParams(fields).toString()),
    options.headers,
  );
}

/** Input of {@link gumroadSaleFields}. */
export interface GumroadSaleInput {
  email: string;
  productId: string;
  productName?: string;
  /** `price` in cents. Default 1000. */
  price?: number;
  /** Default `usd`. */
  currency?: string;
  /** Default: a random id. */
  saleId?: string;
  /** Sent as `seller_id` only when given: set it when your provider checks `sellerId`. */
  sellerId?: string;
  fullName?: string;
  /** Default: now. */
  saleTimestamp?: Date | string;
  /** Gumroad's own license key, when the product has one. */
  licenseKey?: string;
  /** Sends `test=true` (a test purchase: recorded, no license unless `processTestPurchases`). */
  test?: boolean;
}

/**
 * The form fields of a Gumroad `sale` ping. The same sale's refund is
 * `{ ...fields, resource_name: 'refund', refunded: 'true' }`; its dispute `resource_name: 'dispute'`.
 */
export function gumroadSaleFields(input: GumroadSaleInput): Record<string, string> {
  return {
    ...(input.sellerId === undefined ? {} : { seller_id: input.sellerId }),
    sale_id: input.saleId ?? randomId('sale-'),
    sale_timestamp: isoOf(input.saleTimestamp),
    product_id: input.productId,
    product_name: input.productName ?? input.productId,
    email: input.email,
    full_name: input.fullName ?? '',
    price: String(input.price ?? 1000),
    currency: input.currency ?? 'usd',
    quantity: '1',
    resource_name: 'sale',
    refunded: 'false',
    disputed: 'false',
    dispute_won: 'false',
    ...(input.licenseKey === undefined ? {} : { license_key: input.licenseKey }),
    ...(input.test ? { test: 'true' } : {}),
  };
}
