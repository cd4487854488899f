/**
 * The Express 5 app: store webhooks in, licenses out.
 *   POST /api/v1/webhooks/:store       one route per configured store (raw body, verified by licensekit)
 *   POST /api/v1/licenses/validate     { key, hardwareId?, deviceName?, productId? } → the result
 *   POST /api/v1/licenses/deactivate   { key, hardwareId } → frees that device's seat
 *   GET  /api/v1/admin/stats           Authorization: Bearer <adminToken> → purchase stats
 *   GET  /api/v1/admin/licenses        the same token; ?email=&productId=&status= → licenses
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import {
  createWebhookHandler,
  isLicenseKitError,
  type License,
  type LicenseManager,
  type LicenseStatus,
  type ValidationResult,
  type WebhookProvider,
} from 'licensekit';
import { type RateLimitOptions, rateLimit } from './rate-limit.js';
import { sendWebResponse, toWebRequest } from './web-bridge.js';

/** Options of {@link createApp}. */
export interface AppOptions {
  manager: LicenseManager;
  /** The webhook route's `:store` → its provider, e.g. `{ stripe: stripe({ signingSecret }) }`. */
  stores: Record<string, WebhookProvider>;
  /** The admin routes' Bearer token; without one they always answer 401. */
  adminToken?: string;
  /** Per-IP limit on the license routes. Default: bursts of 10, 30 a minute. */
  rateLimit?: RateLimitOptions;
  /** Express's `trust proxy`, so `req.ip` is the client's behind a load balancer. Default false. */
  trustProxy?: boolean | number | string;
}

/** Builds the app; `listen` on it, and `manager.close()` after the server has closed. */
export function createApp(options: AppOptions): express.Express {
  const { manager } = options;
  const webhooks = new Map(
    Object.entries(options.stores).map(([id, provider]) => [id, createWebhookHandler({ provider, manager })]),
  );
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);

  // Keep the raw bytes: signatures are checked over them, so no JSON parser may run first.
  app.all('/api/v1/webhooks/:store', express.raw({ type: '*/*', limit: '1mb' }), async (req, res) => {
    const handle = webhooks.get(req.params.store!);
    if (!handle) return void res.status(404).json({ error: 'unknown store' });
    await sendWebResponse(res, await handle(toWebRequest(req)));
  });

  const limit = rateLimit(options.rateLimit ?? { burst: 10, perMinute: 30 });
  app.post('/api/v1/licenses/validate', limit, readJson, async (req, res) => {
    const result = await manager.validate(field(req.body, 'key', true), {
      hardwareId: field(req.body, 'hardwareId'),
      deviceName: field(req.body, 'deviceName'),
      productId: field(req.body, 'productId'),
    });
    res.json(publicResult(result));
  });
  app.post('/api/v1/licenses/deactivate', limit, readJson, async (req, res) => {
    const key = field(req.body, 'key', true);
    const license = await manager.deactivateDevice(key, field(req.body, 'hardwareId', true), {
      actor: `ip:${req.ip}`,
    });
    res.json({ key: license.key, devicesInUse: license.devices.length, maxDevices: license.maxDevices });
  });

  const admin = requireBearer(options.adminToken);
  app.get('/api/v1/admin/stats', admin, async (req, res) => {
    const filter = {
      since: query(req.query.since),
      until: query(req.query.until),
      source: query(req.query.source),
    };
    res.json(await manager.audit.getPurchaseStats(filter));
  });
  app.get('/api/v1/admin/licenses', admin, async (req, res) => {
    const licenses: License[] = [];
    const filter = {
      email: query(req.query.email),
      productId: query(req.query.productId),
      status: query(req.query.status) as LicenseStatus | undefined,
    };
    for await (const license of manager.findLicenses(filter)) licenses.push(license);
    res.json(licenses);
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use(errorHandler);
  return app;
}

/** JSON bodies of the license routes: small, and an object. */
const parseJson = express.json({ limit: '16kb' });
const readJson: RequestHandler = (req, res, next) => {
  if (!req.is('application/json')) return void res.status(415).json({ error: 'send application/json' });
  parseJson(req, res, (error?: unknown) => {
    if (error) return next(error);
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
      return void res.status(400).json({ error: 'the body must be a JSON object' });
    }
    next();
  });
};

class BadRequest extends Error {}

function field(body: Record<string, unknown>, name: string, required: true): string;
function field(body: Record<string, unknown>, name: string): string | undefined;
function field(body: Record<string, unknown>, name: string, required = false): string | undefined {
  const value = body[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > 256) {
    throw new BadRequest(`${name} must be a string of 1 to 256 characters`);
  }
  return value;
}

function query(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** What a client may see: the outcome and the license's terms, never the buyer or other devices. */
function publicResult(result: ValidationResult) {
  const { license } = result;
  return {
    valid: result.valid,
    code: result.code,
    detail: result.detail,
    checkedAt: result.checkedAt,
    device: result.device,
    license: license && {
      key: license.key,
      productId: license.productId,
      status: license.status,
      expiresAt: license.expiresAt,
      maxDevices: license.maxDevices,
      devicesInUse: license.devices.length,
    },
  };
}

/** 401 unless `Authorization: Bearer <token>`; compares SHA-256 digests in constant time. */
function requireBearer(token: string | undefined): RequestHandler {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const expected = token ? digest(token) : null;
  return (req, res, next) => {
    const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    if (expected && given !== undefined && timingSafeEqual(digest(given), expected)) return next();
    res.set('www-authenticate', 'Bearer').status(401).json({ error: 'unauthorized' });
  };
}

/** Body-parser errors keep their status (413 too large, 400 bad JSON); licensekit's map to 400/404. */
const errorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
  const status = typeof error?.status === 'number' && error.status < 500 ? error.status : null;
  if (error instanceof BadRequest) res.status(400).json({ error: error.message });
  else if (status === 413) res.status(413).json({ error: 'payload too large' });
  else if (error?.type === 'entity.parse.failed')
    res.status(400).json({ error: 'the body is not valid JSON' });
  else if (status !== null) res.status(status).json({ error: 'bad request' });
  else if (isLicenseKitError(error, 'INVALID_INPUT')) {
    res.status(400).json({ error: 'invalid request', issues: error.issues });
  } else if (isLicenseKitError(error, 'LICENSE_NOT_FOUND')) {
    res.status(404).json({ error: 'no license has this key' });
  } else {
    console.error('[licensekit example] request failed:', error);
    res.status(500).json({ error: 'internal error' });
  }
};
