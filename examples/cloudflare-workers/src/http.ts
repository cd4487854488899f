/** HTTP helpers of the Worker: JSON bodies and answers, the admin token, the public validation result. */
import { isLicenseKitError, type ValidationResult } from 'licensekit';

/** What a client may see: the outcome and the license's terms, never the buyer or other devices. */
export function publicResult(result: ValidationResult) {
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

/** A request error, answered with its status and message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const maxJsonBytes = 16 * 1024;

/** The body as a JSON object: 415 unless JSON, 413 over 16 KiB, 400 unless an object. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) {
    throw new HttpError(415, 'send application/json');
  }
  const declared = Number(request.headers.get('content-length') ?? 0);
  const bytes = declared > maxJsonBytes ? null : await request.arrayBuffer();
  if (bytes === null || bytes.byteLength > maxJsonBytes) throw new HttpError(413, 'too large');
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'the body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** The string field `name` (1 to 256 characters; `required` or absent), else a 400. */
export function field(body: Record<string, unknown>, name: string, required: true): string;
export function field(body: Record<string, unknown>, name: string): string | undefined;
export function field(body: Record<string, unknown>, name: string, required = false): string | undefined {
  const value = body[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > 256) {
    throw new HttpError(400, `${name} must be a string of 1 to 256 characters`);
  }
  return value;
}

/** Whether the request carries `Authorization: Bearer <token>`. */
export async function isAdmin(request: Request, token: string | undefined): Promise<boolean> {
  // Compares SHA-256 digests in full, so the time taken says nothing about the token.
  const given = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
  if (!token || given === undefined) return false;
  const digest = async (text: string) =>
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  const [a, b] = await Promise.all([digest(given), digest(token)]);
  return a.reduce((difference, byte, i) => difference | (byte ^ b[i]!), 0) === 0;
}

/** 400 for bad input, 404 for an unknown license, else a logged 500. */
export function errorResponse(error: unknown): Response {
  if (error instanceof HttpError) return json(error.status, { error: error.message });
  if (isLicenseKitError(error, 'INVALID_INPUT')) {
    return json(400, { error: 'invalid request', issues: error.issues });
  }
  if (isLicenseKitError(error, 'LICENSE_NOT_FOUND')) return json(404, { error: 'no license has this key' });
  console.error('[licensekit example] request failed:', error);
  return json(500, { error: 'internal error' });
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers });
}
