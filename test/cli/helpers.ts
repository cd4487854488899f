/**
 * Test helpers for the `licensekit` bin: build it once per test file with the real tsup config
 * (into a directory of its own, so it never races the package test's `dist/`), run it as a child
 * process, and seed data directories through the library.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Options } from 'tsup';
import { LicenseManager, type PurchaseEvent, type Storage } from '../../src/index.js';
import { fileStorage } from '../../src/node.js';
import { purchaseEventFixture } from '../../src/testing.js';
import tsupConfig from '../../tsup.config.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** What a run of the bin did. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Builds the package with the repository's tsup config (declarations off: they are the package
 * test's business) into `.tmp/cli-bin-*` under the repo, so the bin resolves `zod` and `ulid` from
 * the repo's node_modules as an installed package would. Returns the path of `cli.js`.
 */
export async function buildCli(): Promise<{ bin: string; outDir: string }> {
  await mkdir(join(repoRoot, '.tmp'), { recursive: true });
  const outDir = await mkdtemp(join(repoRoot, '.tmp', 'cli-bin-'));
  const options = tsupConfig as Options;
  await build({ ...options, config: false, dts: false, outDir, silent: true });
  return { bin: join(outDir, 'cli.js'), outDir };
}

/** Removes a build made by {@link buildCli}. */
export function removeBuild(outDir: string): Promise<void> {
  return rm(outDir, { recursive: true, force: true });
}

/** The environment children run with: this one, minus preloads and the data dir variable. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  if (!('LICENSEKIT_DATA' in extra)) delete env.LICENSEKIT_DATA;
  return env;
}

/** Runs `node <bin> ...args` with piped stdio and collects its output. */
export function runCli(
  bin: string,
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: childEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Parses a run's stdout as JSON, failing with its stderr when it exited non-zero unexpectedly. */
export function jsonOf<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** Opens `dir` with the library, runs `work`, closes it. */
export async function withStorage<T>(
  dir: string,
  work: (manager: LicenseManager, storage: Storage) => Promise<T>,
) {
  const storage = fileStorage({ dir });
  const manager = new LicenseManager({ storage });
  try {
    return await work(manager, storage);
  } finally {
    await manager.close();
  }
}

/** A sale of `amount` minor units of `currency`, on `at`, with an id derived from `saleId`. */
export function sale(
  saleId: string,
  amount: number,
  currency: string,
  at: string,
  overrides: Partial<PurchaseEvent['purchase']> = {},
): PurchaseEvent {
  return purchaseEventFixture({
    type: 'sale',
    eventId: `${saleId}:sale`,
    occurredAt: at,
    purchase: { saleId, amount, currency, purchasedAt: at, email: `${saleId}@example.com`, ...overrides },
  });
}

/** The refund (or another later event) of `event`, on `at`. */
export function later(event: PurchaseEvent, type: PurchaseEvent['type'], at: string): PurchaseEvent {
  return { ...event, type, eventId: `${event.purchase.saleId}:${type}`, occurredAt: at };
}

/**
 * A shop with sales in USD, EUR and JPY over three months, on two stores and two products, a
 * refund, a dispute lost, a partial refund and a test purchase. Returns the license keys by sale.
 */
export async function seedShop(dir: string): Promise<Record<string, string>> {
  const events: PurchaseEvent[] = [
    sale('g-1', 2999, 'USD', '2025-10-03T10:00:00.000Z', {
      productId: 'image-weaver',
      productName: 'Image Weaver',
    }),
    sale('g-2', 1990, 'EUR', '2025-11-13T09:00:00.000Z', {
      productId: 'image-weaver',
      productName: 'Image Weaver',
    }),
    sale('g-3', 4800, 'JPY', '2025-11-20T09:30:00.000Z', { productId: 'pdf-tool', productName: 'PDF Tool' }),
    sale('s-4', 2999, 'USD', '2025-12-01T10:00:00.000Z', { source: 'stripe', productId: 'image-weaver' }),
    sale('s-5', 4900, 'EUR', '2025-12-10T16:20:00.000Z', { source: 'stripe', productId: 'pdf-tool' }),
    sale('t-6', 100, 'USD', '2025-12-11T00:00:00.000Z', { isTest: true }),
  ];
  const [, g2, , s4, s5] = events as [
    PurchaseEvent,
    PurchaseEvent,
    PurchaseEvent,
    PurchaseEvent,
    PurchaseEvent,
  ];
  events.push(
    later(s4, 'refund', '2025-12-05T10:00:00.000Z'),
    later(s5, 'dispute', '2025-12-12T10:00:00.000Z'),
    later(s5, 'dispute_lost', '2026-01-02T10:00:00.000Z'),
    { ...later(g2, 'partial_refund', '2025-11-30T10:00:00.000Z'), purchase: { ...g2.purchase, amount: 500 } },
  );
  const keys: Record<string, string> = {};
  await withStorage(dir, async (manager) => {
    for (const event of events) {
      const { license } = await manager.handlePurchaseEvent(event);
      if (license && event.type === 'sale') keys[event.purchase.saleId] = license.key;
    }
  });
  return keys;
}

/** One entry of the legacy `licenses.json` (the old server's 11 fields), with `fields` over it. */
export function legacyLicenseEntry(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    email: 'ada@example.com',
    customer_name: 'Ada',
    created_date: '2025-10-03T14:05:09',
    expiry_date: null,
    is_active: true,
    hardware_id: null,
    device_name: null,
    last_validation: null,
    validation_count: 0,
    purchase_source: 'gumroad',
    purchase_id: 'S-1',
    ...fields,
  };
}
