import { isLicenseKitError, LicenseKitError, type ValidationIssue } from '../domain/errors.js';
import type { LicenseManager } from '../manager/license-manager.js';
import type { WebhookProvider } from './provider.js';
import { maxWebhookBodyBytes, readBody } from './read-body.js';

/** Options of {@link createWebhookHandler}. */
export interface WebhookHandlerOptions {
  provider: WebhookProvider;
  manager: LicenseManager;
  /** Refuse bodies larger than this (default 1 MiB) with 413. */
  maxBodyBytes?: number;
  /** Told about every failure answered with 5xx (the store will retry); default: `console.error`. */
  onError?: (error: unknown) => void;
}

/** A Web-standard request handler: works in Workers, Deno, Bun, and Node servers (see the examples). */
export type WebhookHandler = (request: Request) => Promise<Response>;

const statusByCode: Partial<Record<string, number>> = {
  WEBHOOK_UNAUTHORIZED: 401,
  WEBHOOK_TIMESTAMP_OUT_OF_RANGE: 401,
  WEBHOOK_VERIFIER_UNAVAILABLE: 503,
  NORMALIZATION_FAILED: 400,
  INVALID_INPUT: 400,
  WEBHOOK_PAYLOAD_TOO_LARGE: 413,
  WEBHOOK_UNSUPPORTED_MEDIA_TYPE: 415,
  MAIL_FAILED: 503,
  STORAGE_LOCK_TIMEOUT: 503,
};

/**
 * Turns a store's webhook deliveries into licenses. Answers 200 with `{ action, licenseKey }`
 * (a duplicate answers with the existing license's key); 400 for a malformed payload (with its
 * issues); 401 for a bad or missing signature or token; 405 for anything but POST; 413 for a body
 * over 1 MiB; 415 for the wrong content type; 503 when mail, the storage lock or the signature
 * verifier (PayPal's certificate fetch) fails and 500 for other storage failures, so the store
 * retries (a retry never makes a second license and emails only if the email was not sent). The
 * signature is checked over the raw bytes before anything is parsed, a 4xx writes nothing, and no
 * response ever contains a secret.
 */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const { provider, manager } = options;
  const onError =
    options.onError ?? ((error: unknown) => console.error('[licensekit] webhook failed:', describe(error)));
  return async (request) => {
    if (request.method !== 'POST') return json(405, { error: 'method not allowed' }, { allow: 'POST' });
    try {
      checkContentType(request, provider.accepts);
      const body = await readBody(request, options.maxBodyBytes ?? maxWebhookBodyBytes);
      const event = await provider.parse(
        new Request(request.url, { method: 'POST', headers: request.headers, body }),
      );
      if (event === null) return json(200, { action: 'ignored', licenseKey: null });
      const { action, license } = await manager.handlePurchaseEvent(event);
      return json(200, { action, licenseKey: license?.key ?? null });
    } catch (error) {
      const status = isLicenseKitError(error) ? (statusByCode[error.code] ?? 500) : 500;
      if (status >= 500) onError(error);
      return json(status, errorBody(status, error));
    }
  };
}

function checkContentType(request: Request, accepts: readonly string[] | undefined): void {
  if (!accepts) return;
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!accepts.includes(type)) {
    throw new LicenseKitError('WEBHOOK_UNSUPPORTED_MEDIA_TYPE', `expected ${accepts.join(' or ')}`);
  }
}

function errorBody(
  status: number,
  error: unknown,
): { error: string; code?: string; issues?: readonly ValidationIssue[] } {
  if (status >= 500 || !isLicenseKitError(error))
    return { error: status === 503 ? 'temporarily unavailable' : 'internal error' };
  if (status === 401) return { error: 'unauthorized', code: error.code };
  if (status === 400) return { error: 'malformed payload', code: error.code, issues: error.issues };
  return { error: status === 413 ? 'payload too large' : 'unsupported media type', code: error.code };
}

function describe(error: unknown): string {
  return isLicenseKitError(error)
    ? `${error.code}: ${error.message}`
    : error instanceof Error
      ? error.name
      : 'unknown error';
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}
