/**
 * licensekit on Cloudflare Workers, with licenses and the purchase log in D1. The routes are those
 * of examples/express:
 *   POST /api/v1/webhooks/:store       gumroad | stripe | lemonsqueezy | paddle, as configured below
 *   POST /api/v1/licenses/validate     { key, hardwareId?, deviceName?, productId? } → the result
 *   POST /api/v1/licenses/deactivate   { key, hardwareId } → frees that device's seat
 *   GET  /api/v1/admin/stats           Authorization: Bearer <ADMIN_TOKEN> → purchase stats
 */
import {
  consoleMailer,
  createWebhookHandler,
  gumroad,
  LicenseManager,
  lemonSqueezy,
  paddle,
  stripe,
  type WebhookHandler,
  type WebhookProvider,
} from 'licensekit';
import { type D1Database, d1Storage } from './d1-storage.js';
import { fetchMailer } from './fetch-mailer.js';
import { clientKey, errorResponse, field, isAdmin, json, publicResult, readJsonObject } from './http.js';

/** Cloudflare's Rate Limiting binding (`[[ratelimits]]` in wrangler.toml). */
export interface RateLimit {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** Bindings and secrets (`wrangler secret put NAME`); a store is served when its secret is set. */
export interface Env {
  DB: D1Database;
  /** Limits the license routes per client (IPv4 address, IPv6 /64) with 429; unset, they are not limited. */
  LICENSE_RATE_LIMITER?: RateLimit;
  ADMIN_TOKEN?: string;
  GUMROAD_TOKEN?: string;
  GUMROAD_SELLER_ID?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  STRIPE_PRODUCT_ID?: string;
  LEMONSQUEEZY_SECRET?: string;
  PADDLE_SECRET?: string;
  /** An HTTP mail API (e.g. `https://api.resend.com/emails`); without it emails go to the log. */
  MAIL_API_URL?: string;
  MAIL_API_KEY?: string;
  MAIL_FROM?: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      return await route(request, env, appFor(env));
    } catch (error) {
      return errorResponse(error);
    }
  },
};

interface App {
  manager: LicenseManager;
  webhooks: Map<string, WebhookHandler>;
}

const apps = new WeakMap<Env, App>();

/** One manager per isolate and environment: it holds no connection, so there is nothing to close. */
function appFor(env: Env): App {
  let app = apps.get(env);
  if (app === undefined) {
    const manager = new LicenseManager({
      storage: d1Storage(env.DB),
      mailer: mailerFor(env),
      // Your products' terms, as in the Express example: a Pro tier is a yearly plan on 3 devices,
      // anything else perpetual on 1. Grace is looked up by product when a key is validated.
      plans: ({ tier }) => ({
        ...(tier === 'Pro' ? { durationDays: 365, maxDevices: 3 } : { durationDays: null, maxDevices: 1 }),
        graceDays: 7,
      }),
    });
    const stores = Object.entries(storesFor(env));
    const webhooks = new Map(
      stores.map(([id, provider]) => [id, createWebhookHandler({ provider, manager })]),
    );
    app = { manager, webhooks };
    apps.set(env, app);
  }
  return app;
}

/**
 * A store for each secret that is set. A setting a store refuses is the Worker's misconfiguration,
 * not a bad request: it is thrown as a plain error, answered 500 and logged.
 */
function storesFor(env: Env): Record<string, WebhookProvider> {
  try {
    return configuredStores(env);
  } catch (error) {
    throw new Error(`the Worker's store settings are invalid: ${(error as Error).message}`);
  }
}

function configuredStores(env: Env): Record<string, WebhookProvider> {
  const stores: Record<string, WebhookProvider> = {};
  if (env.GUMROAD_TOKEN || env.GUMROAD_SELLER_ID) {
    // The token is what authenticates a ping: a seller id alone is refused.
    stores.gumroad = gumroad({
      token: env.GUMROAD_TOKEN ?? '',
      sellerId: env.GUMROAD_SELLER_ID || undefined,
    });
  }
  if (env.STRIPE_WEBHOOK_SECRET) {
    stores.stripe = stripe({ signingSecret: env.STRIPE_WEBHOOK_SECRET, productId: env.STRIPE_PRODUCT_ID });
  }
  if (env.LEMONSQUEEZY_SECRET) stores.lemonsqueezy = lemonSqueezy({ signingSecret: env.LEMONSQUEEZY_SECRET });
  if (env.PADDLE_SECRET) stores.paddle = paddle({ secret: env.PADDLE_SECRET });
  return stores;
}

/** Mail through the HTTP API when it is configured, else to the log (`wrangler tail`). */
function mailerFor(env: Env) {
  if (!env.MAIL_API_URL) return consoleMailer();
  if (!env.MAIL_API_KEY || !env.MAIL_FROM) throw new Error('MAIL_API_URL needs MAIL_API_KEY and MAIL_FROM');
  return fetchMailer({ url: env.MAIL_API_URL, apiKey: env.MAIL_API_KEY, from: env.MAIL_FROM });
}

/** Dispatches by path; the webhook handler answers 405, 413 and 415 on its route itself. */
async function route(request: Request, env: Env, app: App): Promise<Response> {
  const { pathname } = new URL(request.url);
  const store = /^\/api\/v1\/webhooks\/([^/]+)$/.exec(pathname)?.[1];
  if (store !== undefined) {
    const handle = app.webhooks.get(store);
    return handle ? handle(request) : json(404, { error: 'unknown store' });
  }
  if (pathname === '/api/v1/licenses/validate' || pathname === '/api/v1/licenses/deactivate') {
    if (request.method !== 'POST') return json(405, { error: 'method not allowed' }, { allow: 'POST' });
    const ip = request.headers.get('cf-connecting-ip') ?? 'unknown';
    const client = clientKey(ip);
    if (env.LICENSE_RATE_LIMITER && !(await env.LICENSE_RATE_LIMITER.limit({ key: client })).success) {
      return json(429, { error: 'too many requests' }, { 'retry-after': '60' });
    }
    const body = await readJsonObject(request);
    const key = field(body, 'key', true);
    if (pathname.endsWith('/deactivate')) {
      const license = await app.manager.deactivateDevice(key, field(body, 'hardwareId', true), {
        actor: `ip:${ip}`,
      });
      return json(200, {
        key: license.key,
        devicesInUse: license.devices.length,
        maxDevices: license.maxDevices,
      });
    }
    const result = await app.manager.validate(key, {
      hardwareId: field(body, 'hardwareId'),
      deviceName: field(body, 'deviceName'),
      productId: field(body, 'productId'),
    });
    return json(200, publicResult(result));
  }
  if (pathname === '/api/v1/admin/stats') {
    if (request.method !== 'GET') return json(405, { error: 'method not allowed' }, { allow: 'GET' });
    if (!(await isAdmin(request, env.ADMIN_TOKEN))) {
      return json(401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' });
    }
    return json(200, await app.manager.audit.getPurchaseStats());
  }
  return json(404, { error: 'not found' });
}
