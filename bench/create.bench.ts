import { join } from 'node:path';
import { type AuditRecord, type License, LicenseManager, type LicenseStore, type Storage } from 'licensekit';
import { fileStorage, jsonFileLicenseStore, jsonlLicenseStore, jsonlPurchaseLog } from 'licensekit/node';
import { GroupAppend } from './_bare.js';
import {
  benchLicense,
  benchPurchase,
  copySeed,
  createdRecord,
  newLicense,
  saleRecord,
  seedMemoryStorage,
} from './_fixtures.js';
import {
  type BenchSettings,
  count,
  type FamilyResult,
  measure,
  type Op,
  oneAtATime,
  progress,
  type Role,
  type Row,
  type Target,
  tempDir,
  wanted,
} from './_harness.js';
import { type LicensesDb, openLowdb, type PurchasesDb } from './_lowdb.js';
import { OldServer } from './_old-server.js';

export const scenario = '2. create a license durably (license + purchase record)';
export const insertScenario = '2b. insert a license durably (store only, issue 2)';

/** A subject of this family, opened fresh for every row; `tag` keeps its sale ids unique. */
interface Subject {
  subject: string;
  role: Role;
  open(dir: string, n: number, tag: string): Promise<{ op: Op; close(): Promise<void> }>;
}

const fileLayout = async (dir: string, n: number): Promise<Storage> => {
  copySeed('file', n, join(dir, 'file'));
  return fileStorage({ dir: join(dir, 'file') });
};

const jsonlLayout = async (dir: string, n: number): Promise<Storage> => {
  copySeed('jsonl', n, join(dir, 'jsonl'));
  return {
    licenses: jsonlLicenseStore({ path: join(dir, 'jsonl', 'licenses.jsonl') }),
    purchases: jsonlPurchaseLog({ path: join(dir, 'jsonl', 'purchases.jsonl') }),
  };
};

/** `manager.createLicense` for a sale: the license, its `created` and sale records, all durable. */
function managerSubject(subject: string, storageFor: (dir: string, n: number) => Promise<Storage>): Subject {
  return {
    subject,
    role: 'licensekit',
    async open(dir, n, tag) {
      const manager = new LicenseManager({ storage: await storageFor(dir, n) });
      await manager.getLicense(benchLicense(0).key); // opens the storage
      const op: Op = (i) => {
        const purchase = benchPurchase(tag, i);
        const { email, customerName, productId } = purchase;
        return manager.createLicense({ email, customerName, productId, purchase });
      };
      return { op, close: () => manager.close() };
    },
  };
}

/** `store.insert` alone. */
function storeSubject(subject: string, storeFor: (dir: string, n: number) => Promise<LicenseStore>): Subject {
  return {
    subject,
    role: 'licensekit',
    async open(dir, n, tag) {
      const store = await storeFor(dir, n);
      await store.get(benchLicense(0).key);
      return { op: (i) => store.insert(newLicense(benchPurchase(tag, i))), close: () => store.close() };
    },
  };
}

function seedLicenses(n: number): Record<string, License> {
  const licenses: Record<string, License> = {};
  for (let j = 0; j < n; j++) licenses[benchLicense(j).key] = benchLicense(j);
  return licenses;
}

function seedSales(n: number): AuditRecord[] {
  return Array.from({ length: n }, (_, j) =>
    saleRecord(benchLicense(j), { ...benchPurchase('seed', j), saleId: benchLicense(j).purchaseId }),
  );
}

const oldServer = (subject: string, withLog: boolean): Subject => ({
  subject,
  role: 'baseline',
  async open(dir, n, tag) {
    const server = new OldServer(dir);
    server.seed(n);
    const op = oneAtATime((i: number) => {
      const purchase = benchPurchase(tag, i);
      if (withLog) server.createLicense(newLicense(purchase), purchase);
      else server.insertLicense(newLicense(purchase));
    });
    return { op, close: async () => undefined };
  },
});

const lowdb = (subject: string, withLog: boolean): Subject => ({
  subject,
  role: 'lowdb',
  async open(dir, n, tag) {
    const licenses = await openLowdb<LicensesDb>(join(dir, 'licenses.lowdb.json'), {
      licenses: seedLicenses(n),
    });
    const purchases = withLog
      ? await openLowdb<PurchasesDb>(join(dir, 'purchases.lowdb.json'), { purchases: seedSales(n) })
      : null;
    const op: Op = (i) => {
      const purchase = benchPurchase(tag, i);
      const license = newLicense(purchase);
      return Promise.all([
        licenses.update((data) => {
          data.licenses[license.key] = license;
        }),
        purchases?.update((data) => {
          data.purchases.push(saleRecord(license, purchase));
        }),
      ]);
    };
    return { op, close: async () => undefined };
  },
});

const bound = (subject: string, withLog: boolean): Subject => ({
  subject,
  role: 'bound',
  async open(dir, _n, tag) {
    const log = await GroupAppend.open(join(dir, 'bare.jsonl'));
    const op: Op = (i) => {
      const purchase = benchPurchase(tag, i);
      const license = newLicense(purchase);
      const lines = withLog
        ? `${JSON.stringify(license)}\n${JSON.stringify(createdRecord(license))}\n${JSON.stringify(saleRecord(license, purchase))}\n`
        : `${JSON.stringify(license)}\n`;
      return log.append(lines);
    };
    return { op, close: () => log.close() };
  },
});

const createSubjects: Subject[] = [
  managerSubject('licensekit, memoryStorage (not durable)', (_dir, n) => seedMemoryStorage(n)),
  managerSubject('licensekit, fileStorage (JSON file)', fileLayout),
  managerSubject('licensekit, JSONL stores', jsonlLayout),
  oldServer('old server: read-modify-write + fsync, one at a time', true),
  lowdb('lowdb 7: db.update() ×2 (no fsync, no lock)', true),
  bound("bare fsync'd append of the same 3 lines, group-committed", true),
];

const insertSubjects: Subject[] = [
  storeSubject('licensekit, jsonFileLicenseStore', async (dir, n) => {
    copySeed('file', n, join(dir, 'file'));
    return jsonFileLicenseStore({ path: join(dir, 'file', 'licenses.json') });
  }),
  storeSubject('licensekit, jsonlLicenseStore', async (dir, n) => {
    copySeed('jsonl', n, join(dir, 'jsonl'));
    return jsonlLicenseStore({ path: join(dir, 'jsonl', 'licenses.jsonl') });
  }),
  oldServer('old server: read-modify-write + fsync, one at a time', false),
  lowdb('lowdb 7: db.update() (no fsync, no lock)', false),
  bound("bare fsync'd append of the license line, group-committed", false),
];

let rowTag = 0;

/**
 * Scenario 2: a license for a new sale made durable, from 1 and 64 concurrent callers; and 2b, the
 * license store's insert alone. Each row starts from a fresh copy of the seeded store and makes at
 * most `n` licenses, so the store at most doubles while it is measured.
 */
export async function createFamily(settings: BenchSettings): Promise<FamilyResult> {
  const rows: Row[] = [];
  const busiest = Math.max(...settings.callers);
  for (const n of settings.sizes) {
    const size = count(n, 'licenses');
    for (const [name, list, callerCounts] of [
      [scenario, createSubjects, settings.callers],
      [insertScenario, insertSubjects, [busiest]],
    ] as const) {
      for (const { subject, role, open } of list) {
        if (!wanted(settings, subject)) continue;
        for (const callers of callerCounts) {
          const { dir, cleanup } = tempDir();
          try {
            progress(`${name}: ${size}, ${callers} caller(s), ${subject}`);
            const opened = await open(dir, n, `r${rowTag++}`);
            const measured = await measure(opened.op, {
              ms: settings.ms,
              callers,
              maxOps: n,
              label: `${name} ${size} ${callers} ${subject}`,
            });
            await opened.close();
            rows.push({ scenario: name, size, callers, subject, role, ...measured });
          } finally {
            cleanup();
          }
        }
      }
    }
  }
  const at = { size: count(Math.max(...settings.sizes), 'licenses'), callers: busiest };
  const targets: Target[] = [
    {
      name: 'durable creates, JSON file ≥ 100× read-modify-write',
      scenario,
      subject: 'licensekit, fileStorage (JSON file)',
      metric: 'vsBaseline',
      min: 100,
      ...at,
    },
    {
      name: 'durable creates, JSON file ≥ lowdb',
      scenario,
      subject: 'licensekit, fileStorage (JSON file)',
      metric: 'vsLowdb',
      min: 1,
      ...at,
    },
    {
      name: 'durable creates, JSONL ≥ 10× lowdb',
      scenario,
      subject: 'licensekit, JSONL stores',
      metric: 'vsLowdb',
      min: 10,
      ...at,
    },
    {
      name: 'durable inserts, JSON file ≥ 200/s',
      scenario: insertScenario,
      subject: 'licensekit, jsonFileLicenseStore',
      metric: 'opsPerSec',
      min: 200,
      ...at,
    },
    {
      name: 'durable inserts, JSONL ≥ 3,000/s',
      scenario: insertScenario,
      subject: 'licensekit, jsonlLicenseStore',
      metric: 'opsPerSec',
      min: 3000,
      ...at,
    },
  ];
  return { rows, targets };
}
