/** HTTP helpers of the Worker: JSON bodies and answers, the admin token, public results, client keys. */
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
  const text = await readText(request, maxJsonBytes);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'the body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/**
 * The body as UTF-8 text, read chunk by chunk: 413 as soon as it passes `limit` bytes (declared or
 * streamed without a Content-Length), and the rest is cancelled unread.
 */
async function readText(request: Request, limit: number): Promise<string> {
  if (Number(request.headers.get('content-length') ?? 0) > limit) throw new HttpError(413, 'too large');
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new HttpError(413, 'too large');
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
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

/**
 * The rate-limit key of a client address: an IPv6 client's /64 (what one subscriber is given),
 * IPv4 and IPv4-mapped IPv6 (`::ffff:1.2.3.4`) by the IPv4 address, anything else as it is.
 */
export function clientKey(ip: string): string {
  const groups = ipv6Groups(ip);
  if (groups === undefined) return ip;
  const hex = groups.map((group) => group.toString(16));
  const [high, low] = groups.slice(6) as [number, number];
  if (hex.slice(0, 6).join(':') === '0:0:0:0:0:ffff') {
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return `${hex.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (`::`, trailing IPv4, `%zone` allowed), else undefined. */
export function ipv6Groups(ip: string): number[] | undefined {
  let text = ip.replace(/%.*/, '');
  const ipv4 = /(?<=:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (ipv4) {
    const [a, b, c, d] = ipv4.slice(1).map(Number) as [number, number, number, number];
    if (Math.max(a, b, c, d) > 255) return undefined;
    text = `${text.slice(0, ipv4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::').map((half) => (half === '' ? [] : half.split(':')));
  const [head = [], tail] = halves;
  const gap = 8 - head.length - (tail?.length ?? 0);
  if (halves.length > 2 || (tail === undefined ? gap !== 0 : gap < 1)) return undefined;
  const groups = tail === undefined ? head : [...head, ...Array<string>(gap).fill('0'), ...tail];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  return groups.map((group) => Number.parseInt(group, 16));
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
