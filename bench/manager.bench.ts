import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type License, LicenseManager, memoryStorage, type Storage } from 'licensekit';
import { jsonFileLicenseStore, jsonlPurchaseLog } from 'licensekit/node';
import { type Row, tempDir, throughput } from './_harness.js';
import { benchLicense } from './storage.bench.js';

/**
 * `validate` of a known device (the hot path) on memory and JSON-file storage, against a bare
 * `Map.get` plus the same telemetry mutation.
 */
export async function validateBenchmarks(options: { licenses: number; ms: number }): Promise<Row[]> {
  const rows: Row[] = [];
  const keys = Array.from({ length: 1024 }, (_, i) => benchLicense((i * 97) % options.licenses).key);
  const map = new Map<string, License>();
  for (let i = 0; i < options.licenses; i++) map.set(benchLicense(i).key, benchLicense(i));
  const bare = await throughput(
    () => {
      const now = new Date().toISOString();
      for (const key of keys) {
        const license = map.get(key)!;
        const devices = license.devices.map((d) =>
          d.hardwareId === license.devices[0]!.hardwareId ? { ...d, lastSeenAt: now } : d,
        );
        map.set(key, {
          ...license,
          lastValidatedAt: now,
          validationCount: license.validationCount + 1,
          devices,
        });
      }
    },
    options.ms,
    keys.length,
  );
  const { dir, cleanup } = tempDir();
  try {
    const seeded = join(dir, 'licenses.json');
    const lines = Array.from({ length: options.licenses }, (_, i) => JSON.stringify(benchLicense(i)));
    writeFileSync(
      seeded,
      `{"format":"licensekit-licenses","version":1,"generation":1,"licenses":[\n${lines.join(',\n')}\n]}\n`,
    );
    const memory = memoryStorage();
    for (let i = 0; i < options.licenses; i++) await memory.licenses.insert(benchLicense(i));
    const subjects: [string, Storage][] = [
      ['memoryStorage', memory],
      [
        'jsonFileLicenseStore',
        {
          licenses: jsonFileLicenseStore({ path: seeded }),
          purchases: jsonlPurchaseLog({ path: join(dir, 'p.jsonl') }),
        },
      ],
    ];
    for (const [name, storage] of subjects) {
      const manager = new LicenseManager({ storage });
      const hardwareIds = new Map(
        keys.map((key, i) => [key, benchLicense((i * 97) % options.licenses).devices[0]!.hardwareId]),
      );
      const hardwareId = (key: string) => hardwareIds.get(key)!;
      await manager.validate(keys[0]!, { hardwareId: hardwareId(keys[0]!) });
      const rate = await throughput(
        async () => {
          for (const key of keys) await manager.validate(key, { hardwareId: hardwareId(key) });
        },
        options.ms,
        keys.length,
      );
      await manager.close();
      rows.push({
        scenario: `validate known device, ${options.licenses.toLocaleString('en-US')} licenses`,
        subject: name,
        opsPerSec: rate,
        baseline: 'Map.get + mutate loop',
        ratio: rate / bare,
        target: '≥ 0.05× and ≥ 300,000/s',
      });
    }
  } finally {
    cleanup();
  }
  return rows;
}
