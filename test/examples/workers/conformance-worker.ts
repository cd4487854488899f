/**
 * A Worker that runs licensekit's storage conformance suite against the D1 adapter of
 * examples/cloudflare-workers, inside workerd. `GET /` lists the registered case titles;
 * `GET /run?title=…` runs one case on emptied tables and answers `{ ok, error? }`.
 * Reopening builds a new adapter on the same database.
 */
import { runStorageConformance } from 'licensekit/testing';
import { type D1Database, d1Storage } from '../../../examples/cloudflare-workers/src/d1-storage.js';

interface Env {
  DB: D1Database;
}

type Case = () => Promise<void>;

function register(db: D1Database): Map<string, Case> {
  const cases = new Map<string, Case>();
  runStorageConformance(
    { describe: (_name, body) => body(), it: (title, run) => cases.set(title, run) },
    {
      name: 'd1Storage',
      createStorage: async () => {
        await db.prepare('DELETE FROM licenses').run();
        await db.prepare('DELETE FROM purchase_log').run();
        return d1Storage(db);
      },
      reopen: () => d1Storage(db),
    },
  );
  return cases;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const cases = register(env.DB);
    const url = new URL(request.url);
    if (url.pathname === '/') return Response.json([...cases.keys()]);
    const run = cases.get(url.searchParams.get('title') ?? '');
    if (!run) return Response.json({ ok: false, error: 'no such case' }, { status: 404 });
    try {
      await run();
      return Response.json({ ok: true });
    } catch (error) {
      const message = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
      return Response.json({ ok: false, error: message });
    }
  },
};
