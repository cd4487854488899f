import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateLicenseKey, type License } from 'licensekit';
import { jsonFileLicenseStore, jsonlLicenseStore } from 'licensekit/node';
import { bestTime, type Row, tempDir, throughput } from './_harness.js';

const keys = new Map<string, string>();

/** A real license key, the same one for the same `i` and `prefix`. */
function benchKey(i: number, prefix: string): string {
  const id = `${prefix}:${i}`;
  let key = keys.get(id);
  if (key === undefined) {
    key = generateLicenseKey();
    keys.set(id, key);
  }
  return key;
}

/** A realistic lean license record. */
export function benchLicense(i: number, prefix = 'seed'): License {
  return {
    key: benchKey(i, prefix),
    productId: `app-${i % 5}`,
    email: `customer${i}@example.com`,
    customerName: `Customer ${i}`,
    createdAt: '2025-06-01T12:00:00.000Z',
    expiresAt: null,
    status: 'active',
    statusReason: null,
    maxDevices: 2,
    devices: [
      {
        hardwareId: `hw-${i}`,
        deviceName: 'MacBook Pro',
        activatedAt: '2025-06-01T12:00:00.000Z',
        lastSeenAt: '2025-06-02T12:00:00.000Z',
      },
    ],
    lastValidatedAt: '2025-06-02T12:00:00.000Z',
    validationCount: 3,
    purchaseSource: 'gumroad',
    purchaseId: `${prefix}-sale-${i}`,
    subscriptionId: null,
    deliveredAt: '2025-06-01T12:00:01.000Z',
  };
}

function seedJsonFile(path: string, count: number): void {
  const lines = Array.from({ length: count }, (_, i) => JSON.stringify(benchLicense(i)));
  const head = '{"format":"licensekit-licenses","version":1,"generation":1,"licenses":[';
  writeFileSync(path, `${head}\n${lines.join(',\n')}\n]}\n`, { mode: 0o600 });
}

function seedJournal(path: string, count: number): void {
  const lines = Array.from({ length: count }, (_, i) => JSON.stringify(benchLicense(i)));
  writeFileSync(path, `{"format":"licensekit-license-journal","version":1}\n${lines.join('\n')}\n`, {
    mode: 0o600,
  });
}

/**
 * The storage scenarios of the storage issue: cold open vs a bare parse, hot `get` vs a bare
 * `Map.get`, and durable inserts from 64 concurrent callers vs the old read-modify-write server.
 */
export async function storageBenchmarks(options: { licenses: number; ms: number }): Promise<Row[]> {
  const rows: Row[] = [];
  const { dir, cleanup } = tempDir();
  try {
    const jsonPath = join(dir, 'licenses.json');
    seedJsonFile(jsonPath, options.licenses);
    const n = options.licenses.toLocaleString('en-US');

    // 1. Cold open: the store's first read vs JSON.parse(readFileSync()) of the same file.
    const bare = await bestTime(() => JSON.parse(readFileSync(jsonPath, 'utf8')), 3);
    const open = await bestTime(async () => {
      const store = jsonFileLicenseStore({ path: jsonPath });
      await store.get('missing');
      await store.close();
    }, 3);
    rows.push({
      scenario: `cold open, ${n} licenses`,
      subject: 'jsonFileLicenseStore',
      opsPerSec: 1000 / open,
      baseline: 'JSON.parse(readFileSync())',
      ratio: open / bare,
      target: 'time ≤ 2× baseline',
    });

    // 2. Hot get: a known key, served from memory, vs a bare Map.get loop.
    const store = jsonFileLicenseStore({ path: jsonPath });
    const keys = Array.from({ length: 1024 }, (_, i) => benchLicense((i * 97) % options.licenses).key);
    await store.get(keys[0]!);
    const map = new Map(keys.map((key) => [key, benchLicense(0)]));
    let sink = 0;
    const bareGet = await throughput(
      () => {
        for (const key of keys) sink += map.get(key)!.maxDevices;
      },
      options.ms,
      keys.length,
    );
    const storeGet = await throughput(
      async () => {
        for (const key of keys) sink += (await store.get(key))!.maxDevices;
      },
      options.ms,
      keys.length,
    );
    await store.close();
    rows.push({
      scenario: `hot get, ${n} licenses`,
      subject: 'jsonFileLicenseStore',
      opsPerSec: storeGet,
      baseline: 'Map.get loop',
      ratio: storeGet / bareGet,
      target: '≥ 0.10×',
    });
    if (sink === -1) console.log(sink);

    // 3. Durable inserts, 64 concurrent callers.
    const journalPath = join(dir, 'licenses.jsonl');
    seedJournal(journalPath, options.licenses);
    const baselinePath = join(dir, 'baseline.json');
    writeFileSync(baselinePath, readFileSync(jsonPath));
    const rmw = await insertRate(async (license) => readModifyWrite(baselinePath, license), options.ms, 1);
    rows.push({
      scenario: `durable insert, ${n} licenses, 1 caller`,
      subject: 'read-modify-write baseline (old server)',
      opsPerSec: rmw,
    });
    for (const [name, create] of [
      ['jsonFileLicenseStore', () => jsonFileLicenseStore({ path: jsonPath })],
      ['jsonlLicenseStore', () => jsonlLicenseStore({ path: journalPath })],
    ] as const) {
      const target = create();
      await target.get('warm-up');
      const rate = await insertRate((license) => target.insert(license), options.ms, 64);
      await target.close();
      rows.push({
        scenario: `durable insert, ${n} licenses, 64 callers`,
        subject: name,
        opsPerSec: rate,
        baseline: 'read-modify-write',
        ratio: rate / rmw,
        target: name === 'jsonFileLicenseStore' ? '≥ 200/s' : '≥ 3,000/s',
      });
    }
  } finally {
    cleanup();
  }
  return rows;
}

let inserted = 0;

/** Inserts fresh licenses from `callers` concurrent loops for about `ms` and returns inserts per second. */
async function insertRate(
  insert: (license: License) => Promise<unknown>,
  ms: number,
  callers: number,
): Promise<number> {
  let count = 0;
  const deadline = performance.now() + ms;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < deadline) {
        await insert(benchLicense(inserted++, 'bench'));
        count++;
      }
    }),
  );
  return (count * 1000) / (performance.now() - start);
}

/** The old Python server's write path, as it was: read the whole file, parse, add, write it back, fsync. */
function readModifyWrite(path: string, license: License): void {
  const document = JSON.parse(readFileSync(path, 'utf8'));
  document.licenses.push(license);
  writeFileSync(path, JSON.stringify(document), { flush: true });
}
