import { LicenseKitError } from '../domain/errors.js';

/** The largest webhook body accepted: no store sends more than a few kilobytes. */
export const maxWebhookBodyBytes = 1024 * 1024;

/**
 * Reads a request body into bytes, refusing more than `limit` bytes with `WEBHOOK_PAYLOAD_TOO_LARGE`
 * as soon as the declared length or the bytes read so far exceed it (the rest is never buffered).
 */
export async function readBody(
  request: Request,
  limit = maxWebhookBodyBytes,
): Promise<Uint8Array<ArrayBuffer>> {
  const tooLarge = () =>
    new LicenseKitError('WEBHOOK_PAYLOAD_TOO_LARGE', `the body is larger than ${limit} bytes`);
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) throw tooLarge();
  if (!request.body) return new Uint8Array(new ArrayBuffer(0));
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(new ArrayBuffer(size));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}
