import { join } from 'node:path';
import { fileStorage, jsonFileLicenseStore, jsonlLicenseStore, jsonlPurchaseLog } from 'licensekit/node';
import { JSONFilePreset } from 'lowdb/node';
import { bareParseJson, bareParseLines } from './_bare.js';
import { benchLicense, copySeed, logRecord, seedLog } from './_fixtures.js';
import {
  type BenchSettings,
  count,
  type FamilyResult,
  notRun,
  progress,
  type Role,
  type Row,
  tempDir,
  timeRounds,
  wanted,
} from './_harness.js';
import { type LicensesDb, lowdbCannotHold, openLowdb, type PurchasesDb } from './_lowdb.js';
import { OldServer } from './_old-server.js';

export const scenario = '3. open a license store cold';
export const logScenario = '3b. open the purchase log cold';

const bareJson = 'bare JSON.parse(readFileSync(licenses.json))';
const bareJsonl = 'bare read + split + JSON.parse (licenses.jsonl)';
const bareLog = 'bare read + split + JSON.parse (purchases.jsonl)';

interface Pass {
  subject: string;
  role: Role;
  run(): unknown;
  bound?: string;
  note?: string;
}

/**
 * Scenario 3: a new store instance up to its first answer (a `get` of a known key), against a bare
 * parse of the same file. "Cold" means a fresh instance in a warm process; the file is in the page
 * cache (dropping it needs root), so disk reads are not in these numbers. 3b: the purchase log,
 * whose opening reads every record once to learn the dedupe keys.
 */
export async function openFamily(settings: BenchSettings): Promise<FamilyResult> {
  const rows: Row[] = [];
  const add = async (name: string, size: string, passes: Pass[], runs: number, warmup: boolean) => {
    const chosen = passes.filter((pass) => wanted(settings, pass.subject));
    progress(`${name}: ${size}, ${chosen.length} subjects in rounds`);
    const measured = await timeRounds(
      chosen.map((pass) => pass.run),
      { runs, warmup },
    );
    chosen.forEach(({ subject, role, bound, note }, i) => {
      rows.push({ scenario: name, size, callers: 1, subject, role, bound, note, ...measured[i]! });
    });
  };
  for (const n of settings.sizes) {
    const { dir, cleanup } = tempDir();
    try {
      copySeed('file', n, join(dir, 'file'));
      copySeed('jsonl', n, join(dir, 'jsonl'));
      copySeed('file', n, join(dir, 'written'));
      const server = new OldServer(dir);
      server.seed(n);
      const licenses: LicensesDb['licenses'] = {};
      for (let j = 0; j < n; j++) licenses[benchLicense(j).key] = benchLicense(j);
      await openLowdb<LicensesDb>(join(dir, 'lowdb.json'), { licenses });
      const key = benchLicense(0).key;
      const jsonPath = join(dir, 'file', 'licenses.json');
      const journalPath = join(dir, 'jsonl', 'licenses.jsonl');
      let writes = 0;
      await add(
        scenario,
        count(n, 'licenses'),
        [
          {
            subject: 'licensekit, jsonFileLicenseStore',
            role: 'licensekit',
            bound: bareJson,
            run: async () => {
              const store = jsonFileLicenseStore({ path: jsonPath });
              if ((await store.get(key)) === null) throw new Error('open: seed license missing');
              await store.close();
            },
          },
          {
            subject: 'licensekit, jsonFileLicenseStore, then its first write',
            role: 'licensekit',
            bound: bareJson,
            note: 'one license suspended: the file rewritten and fsynced',
            run: async () => {
              const store = jsonFileLicenseStore({ path: join(dir, 'written', 'licenses.json') });
              const reason = `bench write ${++writes}`;
              const written = await store.update(key, (l) => ({
                ...l,
                status: 'suspended',
                statusReason: reason,
              }));
              if (written?.statusReason !== reason) throw new Error('open: seed license missing');
              await store.close();
            },
          },
          {
            subject: 'licensekit, jsonlLicenseStore',
            role: 'licensekit',
            bound: bareJsonl,
            run: async () => {
              const store = jsonlLicenseStore({ path: journalPath });
              if ((await store.get(key)) === null) throw new Error('open: seed license missing');
              await store.close();
            },
          },
          {
            subject: 'licensekit, fileStorage',
            role: 'licensekit',
            bound: bareJson,
            note: `licenses.json + reconcile over its ${count(2 * n, 'log records')}`,
            run: async () => {
              const storage = fileStorage({ dir: join(dir, 'file') });
              if ((await storage.licenses.get(key)) === null) throw new Error('open: seed license missing');
              await storage.licenses.close();
              await storage.purchases.close();
            },
          },
          { subject: 'old server: json.load(licenses.json)', role: 'baseline', run: () => server.load() },
          {
            subject: 'lowdb 7: JSONFilePreset',
            role: 'lowdb',
            run: () => JSONFilePreset<LicensesDb>(join(dir, 'lowdb.json'), { licenses: {} }),
          },
          { subject: bareJson, role: 'bound', run: () => bareParseJson(jsonPath) },
          { subject: bareJsonl, role: 'bound', run: () => bareParseLines(journalPath) },
        ],
        n >= 100_000 ? 3 : 5,
        true,
      );
    } finally {
      cleanup();
    }
  }
  for (const r of settings.records) {
    const { dir, cleanup } = tempDir();
    try {
      const path = seedLog(r);
      const lowdbTooBig = lowdbCannotHold(r, logRecord);
      if (!lowdbTooBig) {
        await openLowdb<PurchasesDb>(join(dir, 'lowdb.json'), {
          purchases: Array.from({ length: r }, (_, i) => logRecord(i)),
        });
      }
      const passes: Pass[] = [
        {
          subject: 'licensekit, jsonlPurchaseLog',
          role: 'licensekit',
          run: async () => {
            const log = jsonlPurchaseLog({ path });
            if (!(await log.has(logRecord(0)))) throw new Error('open: log record missing');
            await log.close();
          },
        },
        {
          subject: 'lowdb 7: JSONFilePreset',
          role: 'lowdb',
          run: () => JSONFilePreset<PurchasesDb>(join(dir, 'lowdb.json'), { purchases: [] }),
        },
        { subject: bareLog, role: 'bound', run: () => bareParseLines(path) },
      ];
      if (lowdbTooBig) {
        passes.splice(1, 1);
        rows.push(
          notRun(
            {
              scenario: logScenario,
              size: count(r, 'records'),
              callers: 1,
              subject: 'lowdb 7: JSONFilePreset',
              role: 'lowdb',
            },
            lowdbTooBig,
          ),
        );
      }
      await add(logScenario, count(r, 'records'), passes, r >= 1_000_000 ? 2 : 3, r < 1_000_000);
    } finally {
      cleanup();
    }
  }
  const largest = count(Math.max(...settings.sizes), 'licenses');
  return {
    rows,
    targets: [
      {
        name: 'cold open ≤ 2× bare JSON.parse (≥ 0.5× its rate)',
        scenario,
        size: largest,
        callers: 1,
        subject: 'licensekit, jsonFileLicenseStore',
        metric: 'vsBound',
        min: 0.5,
      },
    ],
  };
}
