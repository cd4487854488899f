import { join } from 'node:path';
import { type License, LicenseManager, type LicenseStore, type Storage } from 'licensekit';
import { fileStorage, jsonFileLicenseStore, jsonlLicenseStore, jsonlPurchaseLog } from 'licensekit/node';
import { benchLicense, copySeed, seedMemoryStorage } from './_fixtures.js';
import {
  type BenchSettings,
  count,
  type FamilyResult,
  measure,
  notRun,
  type Op,
  oneAtATime,
  progress,
  type Role,
  type Row,
  tempDir,
  wanted,
} from './_harness.js';
import { type LicensesDb, lowdbSkip, openLowdb } from './_lowdb.js';
import { OldServer } from './_old-server.js';

/** A subject of this family: opened once per size, measured for every caller count, then closed. */
interface Subject {
  subject: string;
  role: Role;
  /** Why this subject is not run at this size and caller count, if it is not. */
  skip?(n: number, callers: number): string | null;
  open(dir: string, n: number): Promise<{ op: Op; close(): Promise<void> }>;
}

export const scenario = '1. validate a known device';
export const getScenario = '1b. get a license by key (store only, issue 2)';

/**
 * Scenario 1 takes every subject's rate over this long, so that it includes whole cycles of what
 * runs now and then: the file stores' telemetry flushes (a flush waits 9 times as long as the last
 * one took: a few seconds at 100,000 licenses) and, for every subject, the major garbage collections
 * of a heap of snapshots (100 ms or more at 100k). A window of 0.5 s caught one or not by chance.
 */
const steadyMs = 8_000;

/** Call `i` validates seed license `pick(i)` from its bound device: spread over the whole store. */
const pick = (i: number, n: number) => (i * 7919) % n;

/**
 * The seed keys as a server gets them: each a string of its own, parsed from a request body. A
 * lookup with the very string a `Map` holds matches it by identity and skips comparing characters,
 * which no request does.
 */
function requestKeys(n: number): string[] {
  return Array.from({ length: n }, (_, j) => JSON.parse(JSON.stringify(benchLicense(j).key)) as string);
}

/** The bound every row of scenario 1 is compared with: the "bare `Map.get` + mutate loop" of issue 3. */
const inPlaceBound = 'bare Map.get + telemetry update in place';

let stampedMs = 0;
let stamp = '';

/** The current time as an ISO string, formatted once per millisecond (as the library does). */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== stampedMs) {
    stampedMs = ms;
    stamp = new Date(ms).toISOString();
  }
  return stamp;
}

/** `license` with its devices frozen, as the library's stores hold records. */
function deepFreeze(license: License): License {
  for (const device of license.devices) Object.freeze(device);
  Object.freeze(license.devices);
  return Object.freeze(license);
}

function managerSubject(subject: string, storageFor: (dir: string, n: number) => Promise<Storage>): Subject {
  return {
    subject,
    role: 'licensekit',
    async open(dir, n) {
      const manager = new LicenseManager({ storage: await storageFor(dir, n) });
      const keys = requestKeys(n);
      const op: Op = async (i) => {
        const j = pick(i, n);
        const result = await manager.validate(keys[j]!, { hardwareId: `hw-${j}` });
        if (!result.valid) throw new Error(`validate failed: ${result.code}`);
      };
      await op(0, () => false); // opens the storage
      return { op, close: () => manager.close() };
    },
  };
}

const subjects: Subject[] = [
  managerSubject('licensekit, memoryStorage', (_dir, n) => seedMemoryStorage(n)),
  managerSubject('licensekit, fileStorage (JSON file)', async (dir, n) => {
    copySeed('file', n, join(dir, 'file'));
    return fileStorage({ dir: join(dir, 'file') });
  }),
  managerSubject('licensekit, JSONL stores', async (dir, n) => {
    copySeed('jsonl', n, join(dir, 'jsonl'));
    return {
      licenses: jsonlLicenseStore({ path: join(dir, 'jsonl', 'licenses.jsonl') }),
      purchases: jsonlPurchaseLog({ path: join(dir, 'jsonl', 'purchases.jsonl') }),
    };
  }),
  {
    subject: 'old server: read-modify-write + fsync, one at a time',
    role: 'baseline',
    async open(dir, n) {
      const server = new OldServer(dir);
      server.seed(n);
      const keys = requestKeys(n);
      return {
        op: oneAtATime((i) => {
          const j = pick(i, n);
          if (!server.validate(keys[j]!, `hw-${j}`)) throw new Error('old server: validate failed');
        }),
        close: async () => undefined,
      };
    },
  },
  {
    subject: 'lowdb 7: db.update() (no fsync, no lock)',
    role: 'lowdb',
    skip: lowdbSkip,
    async open(dir, n) {
      const licenses: Record<string, License> = {};
      for (let j = 0; j < n; j++) licenses[benchLicense(j).key] = benchLicense(j);
      const db = await openLowdb<LicensesDb>(join(dir, 'lowdb.json'), { licenses });
      const keys = requestKeys(n);
      const op: Op = (i) => {
        const j = pick(i, n);
        let valid = false;
        return db
          .update((data) => {
            const license = data.licenses[keys[j]!];
            const device = license?.devices.find((d) => d.hardwareId === `hw-${j}`);
            if (license?.status !== 'active' || !device) return;
            const now = new Date().toISOString();
            license.lastValidatedAt = now;
            license.validationCount += 1;
            device.lastSeenAt = now;
            valid = true;
          })
          .then(() => {
            if (!valid) throw new Error('lowdb: validate failed');
          });
      };
      return { op, close: async () => undefined };
    },
  },
  {
    subject: inPlaceBound,
    role: 'bound',
    async open(_dir, n) {
      const map = new Map<string, License>();
      for (let j = 0; j < n; j++) map.set(benchLicense(j).key, benchLicense(j));
      const keys = requestKeys(n);
      const op: Op = (i) => {
        const j = pick(i, n);
        const license = map.get(keys[j]!)!;
        const now = isoNow();
        const device = license.devices.find((d) => d.hardwareId === `hw-${j}`)!;
        device.lastSeenAt = now;
        license.lastValidatedAt = now;
        license.validationCount += 1;
      };
      return { op, close: async () => undefined };
    },
  },
  {
    // The least a store of immutable snapshots does: the same, but the telemetry goes into a new
    // frozen record (built field by field) that replaces the old one.
    subject: 'bare Map.get + a new frozen snapshot put back',
    role: 'bound',
    async open(_dir, n) {
      const map = new Map<string, License>();
      for (let j = 0; j < n; j++) map.set(benchLicense(j).key, deepFreeze(benchLicense(j)));
      const keys = requestKeys(n);
      const op: Op = (i) => {
        const j = pick(i, n);
        const key = keys[j]!;
        const license = map.get(key)!;
        const now = isoNow();
        const hardwareId = `hw-${j}`;
        const devices = license.devices.map((d) =>
          d.hardwareId === hardwareId
            ? Object.freeze({
                hardwareId: d.hardwareId,
                deviceName: d.deviceName,
                activatedAt: d.activatedAt,
                lastSeenAt: now,
              })
            : d,
        );
        map.set(
          key,
          Object.freeze({
            key: license.key,
            productId: license.productId,
            email: license.email,
            customerName: license.customerName,
            createdAt: license.createdAt,
            expiresAt: license.expiresAt,
            status: license.status,
            statusReason: license.statusReason,
            maxDevices: license.maxDevices,
            devices: Object.freeze(devices),
            lastValidatedAt: now,
            validationCount: license.validationCount + 1,
            purchaseSource: license.purchaseSource,
            purchaseId: license.purchaseId,
            subscriptionId: license.subscriptionId,
            deliveredAt: license.deliveredAt,
          }) as License,
        );
      };
      return { op, close: async () => undefined };
    },
  },
];

function storeSubject(subject: string, storeFor: (dir: string, n: number) => Promise<LicenseStore>): Subject {
  return {
    subject,
    role: 'licensekit',
    async open(dir, n) {
      const store = await storeFor(dir, n);
      const keys = requestKeys(n);
      const op: Op = async (i) => {
        if ((await store.get(keys[pick(i, n)]!)) === null) throw new Error('get missed a seed license');
      };
      await op(0, () => false);
      return { op, close: () => store.close() };
    },
  };
}

const getSubjects: Subject[] = [
  storeSubject('licensekit, memoryStorage', async (_dir, n) => (await seedMemoryStorage(n)).licenses),
  storeSubject('licensekit, jsonFileLicenseStore', async (dir, n) => {
    copySeed('file', n, join(dir, 'file'));
    return jsonFileLicenseStore({ path: join(dir, 'file', 'licenses.json') });
  }),
  storeSubject('licensekit, jsonlLicenseStore', async (dir, n) => {
    copySeed('jsonl', n, join(dir, 'jsonl'));
    return jsonlLicenseStore({ path: join(dir, 'jsonl', 'licenses.jsonl') });
  }),
  {
    subject: 'bare Map.get',
    role: 'bound',
    async open(_dir, n) {
      const map = new Map<string, License>();
      for (let j = 0; j < n; j++) map.set(benchLicense(j).key, benchLicense(j));
      const keys = requestKeys(n);
      const op: Op = (i) => {
        if (map.get(keys[pick(i, n)]!) === undefined) throw new Error('missed');
      };
      return { op, close: async () => undefined };
    },
  },
];

/**
 * Scenario 1: `validate` of a known device, the hot path, from 1 and 64 concurrent callers. The
 * manager writes the telemetry (last seen, count) behind; the old server rewrites its file on every
 * call; lowdb rewrites its document on every `update()`; the bound finds the license in a `Map` and
 * updates its telemetry in place, and nothing else.
 */
/** The bound of a scenario's rows when it has several (see {@link inPlaceBound}). */
function boundOf(name: string): string | undefined {
  return name === scenario ? inPlaceBound : undefined;
}

export async function validateFamily(settings: BenchSettings): Promise<FamilyResult> {
  const rows: Row[] = [];
  for (const n of settings.sizes) {
    const size = count(n, 'licenses');
    for (const [name, list, callerCounts] of [
      [scenario, subjects, settings.callers],
      [getScenario, getSubjects, [1]],
    ] as const) {
      for (const { subject, role, open, skip } of list) {
        if (!wanted(settings, subject)) continue;
        const { dir, cleanup } = tempDir();
        try {
          progress(`${name}: ${size}, ${subject}`);
          const opened = await open(dir, n);
          for (const callers of callerCounts) {
            const row = { scenario: name, size, callers, subject, role, bound: boundOf(name) };
            const why = skip?.(n, callers);
            if (why) rows.push(notRun(row, why));
            else
              rows.push({
                ...row,
                ...(await measure(opened.op, {
                  ms: settings.ms,
                  callers,
                  label: `${name} ${size} ${callers} ${subject}`,
                  untimedMs: name === scenario && !settings.quick ? steadyMs : undefined,
                })),
              });
          }
          await opened.close();
        } finally {
          cleanup();
        }
      }
    }
  }
  const largest = count(Math.max(...settings.sizes), 'licenses');
  const targets = ['licensekit, memoryStorage', 'licensekit, fileStorage (JSON file)'].flatMap((subject) => [
    { name: 'hot validate ≥ 5% of the bare Map bound', metric: 'vsBound' as const, min: 0.05, subject },
    { name: 'validate ≥ 300,000/s', metric: 'opsPerSec' as const, min: 300_000, subject },
  ]);
  const getTargets = ['licensekit, jsonFileLicenseStore', 'licensekit, jsonlLicenseStore'].map((subject) => ({
    name: 'hot get ≥ 10% of bare Map.get',
    scenario: getScenario,
    size: largest,
    callers: 1,
    subject,
    metric: 'vsBound' as const,
    min: 0.1,
  }));
  return {
    rows,
    targets: [
      ...targets.map((target) => ({ ...target, scenario, size: largest, callers: 1 })),
      ...getTargets,
    ],
  };
}
