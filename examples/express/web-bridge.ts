/**
 * Runs licensekit's Web-standard webhook handler inside Express: the raw body bytes that
 * `express.raw()` kept go into a `Request` unchanged (signatures are over those exact bytes), and the
 * handler's `Response` is copied back onto Express's `res`.
 */
import type { Request as ExpressRequest, Response as ExpressResponse } from 'express';

/** The Express request as a Web `Request`, with its headers as sent and its body bytes as received. */
export function toWebRequest(req: ExpressRequest): Request {
  const origin = `${req.protocol}://${req.get('host')}`;
  const url = new URL(req.originalUrl, URL.canParse(origin) ? origin : 'http://localhost');
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const body = Buffer.isBuffer(req.body) && req.method !== 'GET' && req.method !== 'HEAD' ? req.body : null;
  return new Request(url, { method: req.method, headers, body: body && new Uint8Array(body) });
}

/** Sends a Web `Response` (status, headers, body) through Express. */
export async function sendWebResponse(res: ExpressResponse, response: Response): Promise<void> {
  res.status(response.status);
  response.headers.forEach((value, name) => {
    res.setHeader(name, value);
  });
  res.end(Buffer.from(await response.arrayBuffer()));
}
