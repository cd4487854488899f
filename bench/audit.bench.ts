import { join } from 'node:path';
import { type AuditRecord, memoryStorage, PurchaseAuditLog, type Storage } from 'licensekit';
import { jsonlPurchaseLog } from 'licensekit/node';
import { JSONFilePreset } from 'lowdb/node';
import { bareParseLines } from './_bare.js';
import { logRecord, seedLog } from './_fixtures.js';
import {
  type BenchSettings,
  count,
  type FamilyResult,
  notRun,
  progress,
  type Role,
  type Row,
  type Target,
  tempDir,
  timeRounds,
  wanted,
} from './_harness.js';
import { lowdbCannotHold, openLowdb, type PurchasesDb } from './_lowdb.js';
import { oldExportCsv, oldPurchaseStats } from './_old-server.js';

export const statsScenario = '4. purchase stats over the audit log';
export const exportScenario = '4b. CSV export of the audit log';

/** Memory storage is seeded by appending every record through the port: too slow past this. */
const memoryLimit = 100_000;

/** Drains a CSV stream as a client would read it; returns the characters read. */
async function drain(stream: ReadableStream<string>): Promise<number> {
  const reader = stream.getReader();
  let length = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) length += read.value.length;
  return length;
}

/** The old helper's first step: every record of the file in one list. */
function loadAll(path: string): AuditRecord[] {
  const all: AuditRecord[] = [];
  bareParseLines(path, (value) => all.push(value as AuditRecord));
  all.shift(); // the header line
  return all;
}

interface Subject {
  subject: string;
  role: Role;
  stats(): unknown;
  exportCsv(): unknown;
}

/**
 * Scenario 4: `getPurchaseStats` and a full `exportCsv` over a JSONL purchase log (both file layouts
 * share `jsonlPurchaseLog`), against one bare parse pass of the same file. The log is open already
 * (opening is scenario 3b); each pass streams the file. ops/s is records per second.
 */
export async function auditFamily(settings: BenchSettings): Promise<FamilyResult> {
  const rows: Row[] = [];
  for (const r of settings.records) {
    const { dir, cleanup } = tempDir();
    const size = count(r, 'records');
    const closers: (() => Promise<void>)[] = [];
    try {
      progress(`${statsScenario}: ${size}, seeding`);
      const path = seedLog(r);
      const log = jsonlPurchaseLog({ path });
      closers.push(() => log.close());
      await log.has(logRecord(0));
      const audit = new PurchaseAuditLog({ storage: { licenses: memoryStorage().licenses, purchases: log } });
      const subjects: Subject[] = [
        {
          subject: 'licensekit, jsonlPurchaseLog',
          role: 'licensekit',
          stats: () => audit.getPurchaseStats(),
          exportCsv: () => drain(audit.exportCsv()),
        },
      ];
      if (r <= memoryLimit) {
        const memory: Storage = memoryStorage();
        for (let i = 0; i < r; i++) await memory.purchases.append(logRecord(i));
        const inMemory = new PurchaseAuditLog({ storage: memory });
        subjects.push({
          subject: 'licensekit, memoryStorage',
          role: 'licensekit',
          stats: () => inMemory.getPurchaseStats(),
          exportCsv: () => drain(inMemory.exportCsv()),
        });
      }
      subjects.push({
        subject: 'old helper: load every record into a list, then loop',
        role: 'baseline',
        stats: () => oldPurchaseStats(loadAll(path)),
        exportCsv: () => oldExportCsv(loadAll(path), () => undefined),
      });
      const lowdbTooBig = lowdbCannotHold(r, logRecord);
      if (lowdbTooBig === null) {
        const lowdbPath = join(dir, 'lowdb.json');
        await openLowdb<PurchasesDb>(lowdbPath, {
          purchases: Array.from({ length: r }, (_, i) => logRecord(i)),
        });
        const read = async () =>
          (await JSONFilePreset<PurchasesDb>(lowdbPath, { purchases: [] })).data.purchases;
        subjects.push({
          subject: 'lowdb 7: read the document, then loop',
          role: 'lowdb',
          stats: async () => oldPurchaseStats(await read()),
          exportCsv: async () => oldExportCsv(await read(), () => undefined),
        });
      }
      subjects.push({
        subject: 'bare read + split + JSON.parse pass',
        role: 'bound',
        stats: () => bareParseLines(path),
        exportCsv: () => bareParseLines(path),
      });
      const runs = r >= 1_000_000 ? 2 : 3;
      for (const [scenario, which] of [
        [statsScenario, 'stats'],
        [exportScenario, 'exportCsv'],
      ] as const) {
        const chosen = subjects.filter((subject) => wanted(settings, subject.subject));
        progress(`${scenario}: ${size}, ${chosen.length} subjects in rounds`);
        const measured = await timeRounds(
          chosen.map((subject) => subject[which]),
          { runs, units: r, warmup: r < 1_000_000 },
        );
        chosen.forEach(({ subject, role }, i) => {
          rows.push({ scenario, size, callers: 1, subject, role, ...measured[i]! });
        });
        if (r > memoryLimit) {
          const row = {
            scenario,
            size,
            callers: 1,
            subject: 'licensekit, memoryStorage',
            role: 'licensekit' as const,
          };
          rows.push(
            notRun(
              row,
              `not run past ${count(memoryLimit, 'records')}: seeding appends each through the port`,
            ),
          );
        }
        if (lowdbTooBig) {
          rows.push(
            notRun(
              { scenario, size, callers: 1, subject: 'lowdb 7: read the document, then loop', role: 'lowdb' },
              lowdbTooBig,
            ),
          );
        }
      }
    } finally {
      for (const close of closers) await close();
      cleanup();
    }
  }
  const largest = count(Math.max(...settings.records), 'records');
  const subject = 'licensekit, jsonlPurchaseLog';
  const targets: Target[] = [
    {
      name: 'stats ≥ 50% of a bare parse pass',
      scenario: statsScenario,
      metric: 'vsBound',
      min: 0.5,
      size: largest,
      callers: 1,
      subject,
    },
    {
      name: 'export ≥ 30% of a bare parse pass',
      scenario: exportScenario,
      metric: 'vsBound',
      min: 0.3,
      size: largest,
      callers: 1,
      subject,
    },
  ];
  return { rows, targets };
}
