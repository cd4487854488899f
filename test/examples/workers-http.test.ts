/**
 * examples/cloudflare-workers/src/http.ts in process: `readJsonObject` reads the body as a stream
 * and stops at 16 KiB, whether or not the client declared a Content-Length.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/ensure-built.js';

beforeAll(ensureBuilt, 200_000);

const http = () => import('../../examples/cloudflare-workers/src/http.js');

/** A JSON request whose body is streamed (chunked, no Content-Length) from `pull`. */
function streamed(pull: (controller: ReadableStreamDefaultController<Uint8Array>) => void): Request {
  return new Request('https://worker.example/api/v1/licenses/validate', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: new ReadableStream<Uint8Array>({ pull }),
    duplex: 'half',
  } as RequestInit);
}

describe('examples/cloudflare-workers readJsonObject', () => {
  it('stops reading a streamed body once it is over 16 KiB (413), leaving the rest unread', async () => {
    const { readJsonObject, HttpError } = await http();
    const chunk = new Uint8Array(64 * 1024).fill(0x20); // JSON whitespace
    const total = 8 * 1024 * 1024;
    let pulled = 0;
    const request = streamed((controller) => {
      if (pulled >= total) return controller.close();
      pulled += chunk.byteLength;
      controller.enqueue(chunk);
    });
    const error = await readJsonObject(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as InstanceType<typeof HttpError>).status).toBe(413);
    // At most the limit plus a chunk or two is read; the rest of the 8 MiB is not.
    expect(pulled).toBeLessThanOrEqual(256 * 1024);
  });

  it('reads a streamed body under the limit, UTF-8 split across chunks included', async () => {
    const { readJsonObject } = await http();
    const bytes = new TextEncoder().encode(JSON.stringify({ key: 'k', deviceName: 'Zoë’s laptop' }));
    let offset = 0;
    const request = streamed((controller) => {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + 3));
      offset += 3;
    });
    expect(await readJsonObject(request)).toEqual({ key: 'k', deviceName: 'Zoë’s laptop' });
  });
});

describe('examples/cloudflare-workers settings', () => {
  it('a Gumroad seller id without its token is the Worker misconfigured: 500, logged, nothing else served', async () => {
    const worker = (await import('../../examples/cloudflare-workers/src/index.js')).default;
    const logged: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => {
      logged.push(args);
    };
    try {
      const env = { GUMROAD_SELLER_ID: 'seller-abc', ADMIN_TOKEN: 'admin' } as unknown as Parameters<
        typeof worker.fetch
      >[1];
      const response = await worker.fetch(new Request('https://worker.example/api/v1/admin/stats'), env);
      expect(response.status).toBe(500);
    } finally {
      console.error = original;
    }
    expect(String(logged.flat().find((item) => item instanceof Error))).toContain('needs a token');
  });
});
