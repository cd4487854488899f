import { LicenseKitError, NormalizationError, WebhookVerificationError } from '../../domain/errors.js';
import type { PurchaseEvent } from '../../domain/purchase.js';
import { normalizeGumroadPing } from '../../normalizers/gumroad.js';
import { timingSafeEqual, toBytes } from '../_crypto.js';
import type { WebhookProvider } from '../provider.js';

/**
 * Options of {@link gumroad}. Gumroad signs nothing, so the URL token is what authenticates a ping:
 * - `token` (required): a secret you append to the ping URL you give Gumroad
 *   (`https://you.example/webhooks/gumroad?token=…`); every request's `?token=` must match. Use a
 *   long random value (e.g. 32 random bytes as hex).
 * - `sellerId` (optional): the `seller_id` (or ids) a ping that names a seller must carry, to keep
 *   other sellers' pings out. Seller ids are not secrets, so they are no substitute for the token.
 *   Subscription pings (`cancellation`, `subscription_ended`, …) name no seller: the token admits them.
 */
export interface GumroadProviderOptions {
  token: string;
  sellerId?: string | readonly string[];
}

const unauthorized = () =>
  new WebhookVerificationError('WEBHOOK_UNAUTHORIZED', 'the Gumroad ping could not be authenticated');

/**
 * The Gumroad provider. Checks the URL token (in constant time, whatever its length) before reading
 * the body, then the `seller_id`, then normalizes with {@link normalizeGumroadPing}. Any miss is the
 * same `WebhookVerificationError` (401), so a caller cannot tell which check failed.
 *
 * Gumroad posts `application/x-www-form-urlencoded`, except to hosts it sends JSON (Zapier); both are
 * accepted. A JSON body is flattened to the same string fields (`{"variants":{"Tier":"Pro"}}` →
 * `variants[Tier]=Pro`, `true` → `'true'`, `null` → `''`). A missing or empty `token` is
 * `INVALID_INPUT` at construction.
 */
export function gumroad(options: GumroadProviderOptions): WebhookProvider {
  const token = options.token;
  const sellers = options.sellerId === undefined ? [] : [options.sellerId].flat();
  if (typeof token !== 'string' || token === '') {
    throw new LicenseKitError(
      'INVALID_INPUT',
      'gumroad() needs a token: Gumroad signs nothing, and a seller id is no secret',
    );
  }
  if (sellers.some((seller) => typeof seller !== 'string' || seller === '')) {
    throw new LicenseKitError('INVALID_INPUT', 'gumroad(): sellerId must be non-empty strings');
  }

  return {
    id: 'gumroad',
    accepts: ['application/x-www-form-urlencoded', 'application/json'],
    async parse(request: Request): Promise<PurchaseEvent | null> {
      const given = new URL(request.url).searchParams.get('token') ?? '';
      if (!timingSafeEqual(await sha256Hex(given), await sha256Hex(token))) throw unauthorized();
      const fields = await readFields(request);
      const seller = fields.seller_id;
      if (seller !== undefined && sellers.length > 0 && !sellers.includes(seller)) throw unauthorized();
      return normalizeGumroadPing(fields);
    },
  };
}

/** Hashing both sides first makes the comparison's time independent of the token's length. */
async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', toBytes(value) as BufferSource));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

async function readFields(request: Request): Promise<Record<string, string>> {
  const text = await request.text();
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return Object.fromEntries(new URLSearchParams(text));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new NormalizationError('NORMALIZATION_FAILED', 'the Gumroad ping is not valid JSON', {
      issues: [{ path: '', message: 'expected a JSON object' }],
    });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new NormalizationError('NORMALIZATION_FAILED', 'the Gumroad ping is not a JSON object', {
      issues: [{ path: '', message: 'expected a JSON object' }],
    });
  }
  const fields: [string, string][] = [];
  flatten(body, '', fields, 0);
  return Object.fromEntries(fields);
}

/** Gumroad nests two levels (`old_plan[tier][id]`); anything far deeper is not a ping. */
const maxDepth = 16;

/** Lists `value`'s leaves under the bracket keys the form encoding would have used. */
function flatten(value: unknown, key: string, fields: [string, string][], depth: number): void {
  if (depth > maxDepth) {
    throw new NormalizationError('NORMALIZATION_FAILED', 'the Gumroad ping is nested too deeply', {
      issues: [{ path: key, message: `nested more than ${maxDepth} levels` }],
    });
  }
  if (Array.isArray(value)) {
    for (const item of value) flatten(item, `${key}[]`, fields, depth + 1);
  } else if (typeof value === 'object' && value !== null) {
    for (const [name, item] of Object.entries(value)) {
      flatten(item, key === '' ? name : `${key}[${name}]`, fields, depth + 1);
    }
  } else {
    fields.push([key, value === null || value === undefined ? '' : String(value)]);
  }
}
