import { execFileSync } from 'node:child_process';
import { appendFile, cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FileIO } from '../../src/adapters/node/file-io.js';
import type { AuditRecord } from '../../src/domain/audit-record.js';
import { isLicenseKitError } from '../../src/domain/errors.js';
import type { License } from '../../src/domain/license.js';
import { fileStorage, jsonFileLicenseStore, jsonlLicenseStore, jsonlPurchaseLog } from '../../src/node.js';
import type { LicenseMutation } from '../../src/ports/storage.js';
import { licenseFixture } from '../../src/testing/fixtures.js';
import { expectCleanExit, spawnChild } from '../helpers/child.js';
import { type Fault, FaultyIO } from '../helpers/faulty-io.js';
import { inspectJsonl, leftoverFiles, readBytes, tornFiles } from '../helpers/files.js';
import { closeStorage, collect, recordFor } from '../helpers/storage.js';
import { makeTempDir, removeTempDir, TempDirs } from '../helpers/temp-dir.js';

// A2 / A3 / J5: I/O faults, injected through the FileIO facade (SQLite's I/O error loop), and real
// ones: ENOSPC on a tiny tmpfs, short writes and EFBIG under `ulimit -f`.

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

// ---------------------------------------------------------------------------------------------------
// The I/O error loop. A subject is one write operation on a store seeded with data; the loop copies
// the seeded dir, fails the Nth faultable call for N = 1, 2, … until the operation runs with no
// fault, and checks every outcome.

interface Instance {
  /** Opens the store (reads the file) before any fault is armed. */
  warm(): Promise<void>;
  /** The operation under test; calling it again after a failure is the caller's retry. */
  run(): Promise<unknown>;
  /** A different write, to show the instance still works. */
  another(): Promise<unknown>;
  close(): Promise<void>;
}

interface Subject {
  name: string;
  /** The file the operation writes. */
  target: string;
  /** JSONL files are created by their first append: an empty file counts as absent. */
  jsonl: boolean;
  /** Seeds an empty dir; returns the target's bytes once a torn tail is cut, when it has one. */
  seed(dir: string): Promise<Buffer | null>;
  open(dir: string, io: FileIO): Instance;
  /** Checks a fresh, fault-free instance on `dir` after the operation, its retry and `another`. */
  check(dir: string): Promise<void>;
}

const seeded = [licenseFixture(), licenseFixture(), licenseFixture()];
const added = licenseFixture();
const extra = licenseFixture();
const seededRecords = seeded.map((license) => recordFor(license));
const addedRecord = recordFor(added);
const extraRecord = recordFor(extra);
const revoke: LicenseMutation = (license) =>
  license.status === 'revoked' ? license : { ...license, status: 'revoked', statusReason: 'refunded' };

type LicenseFormat = 'licenses.json' | 'licenses.jsonl';

function openLicenses(format: LicenseFormat, dir: string, io?: FileIO) {
  const path = join(dir, format);
  return format === 'licenses.json' ? jsonFileLicenseStore({ path, io }) : jsonlLicenseStore({ path, io });
}

async function seedLicenses(format: LicenseFormat, dir: string, licenses: License[], torn: boolean) {
  const store = openLicenses(format, dir);
  for (const license of licenses) await store.insert(license);
  await store.close();
  if (!torn) return null;
  const cut = await readFile(join(dir, format));
  await appendFile(join(dir, format), JSON.stringify(licenseFixture()).slice(0, 45));
  return cut;
}

async function expectLicenses(format: LicenseFormat, dir: string, keys: string[], revoked?: string) {
  const store = openLicenses(format, dir);
  const licenses = await collect(store.list());
  expect(licenses.map((license) => license.key)).toEqual(keys);
  if (revoked !== undefined) expect((await store.get(revoked))?.status).toBe('revoked');
  await store.close();
}

function insertSubject(format: LicenseFormat, seed: License[], torn = false): Subject {
  const what = seed.length === 0 ? 'first insert (no file yet)' : `insert${torn ? ' onto a torn tail' : ''}`;
  return {
    name: `${format} ${what}`,
    target: format,
    jsonl: format === 'licenses.jsonl',
    seed: (dir) => seedLicenses(format, dir, seed, torn),
    open(dir, io) {
      const store = openLicenses(format, dir, io);
      return {
        warm: async () => void (await store.get(added.key)),
        run: () => store.insert(added),
        another: () => store.insert(extra),
        close: () => store.close(),
      };
    },
    check: (dir) =>
      expectLicenses(
        format,
        dir,
        [...seed, added, extra].map((license) => license.key),
      ),
  };
}

function updateSubject(format: LicenseFormat): Subject {
  return {
    name: `${format} update`,
    target: format,
    jsonl: format === 'licenses.jsonl',
    seed: (dir) => seedLicenses(format, dir, seeded, false),
    open(dir, io) {
      const store = openLicenses(format, dir, io);
      return {
        warm: async () => void (await store.get(seeded[1]!.key)),
        run: () => store.update(seeded[1]!.key, revoke),
        another: () => store.insert(extra),
        close: () => store.close(),
      };
    },
    check: (dir) =>
      expectLicenses(
        format,
        dir,
        [...seeded, extra].map((license) => license.key),
        seeded[1]!.key,
      ),
  };
}

function appendSubject(seed: AuditRecord[], torn = false): Subject {
  const what = seed.length === 0 ? 'first append (no file yet)' : `append${torn ? ' onto a torn tail' : ''}`;
  return {
    name: `purchases.jsonl ${what}`,
    target: 'purchases.jsonl',
    jsonl: true,
    async seed(dir) {
      const path = join(dir, 'purchases.jsonl');
      const log = jsonlPurchaseLog({ path });
      for (const record of seed) await log.append(record);
      await log.close();
      if (!torn) return null;
      const cut = await readFile(path);
      await appendFile(path, JSON.stringify(recordFor(licenseFixture())).slice(0, 70));
      return cut;
    },
    open(dir, io) {
      const log = jsonlPurchaseLog({ path: join(dir, 'purchases.jsonl'), io });
      return {
        warm: async () => void (await collect(log.scan({ kind: 'license' }))),
        run: () => log.append(addedRecord),
        another: () => log.append(extraRecord),
        close: () => log.close(),
      };
    },
    async check(dir) {
      const log = jsonlPurchaseLog({ path: join(dir, 'purchases.jsonl') });
      const ids = (await collect(log.scan())).map((record) => record.id);
      expect(ids).toEqual([...seed, addedRecord, extraRecord].map((record) => record.id));
      await log.close();
    },
  };
}

const subjects: Subject[] = [
  insertSubject('licenses.json', seeded),
  insertSubject('licenses.json', []),
  updateSubject('licenses.json'),
  insertSubject('licenses.jsonl', seeded),
  insertSubject('licenses.jsonl', []),
  updateSubject('licenses.jsonl'),
  insertSubject('licenses.jsonl', seeded, true),
  appendSubject(seededRecords),
  appendSubject([]),
  appendSubject(seededRecords, true),
];

type Settled = { ok: true } | { ok: false; error: unknown };

function settle(promise: Promise<unknown>): Promise<Settled> {
  return promise.then(
    () => ({ ok: true }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/** The bytes of the target, with an empty JSONL file counted as no file and its epoch zeroed. */
async function targetBytes(subject: Subject, dir: string): Promise<Buffer | null> {
  const bytes = await readBytes(join(dir, subject.target));
  if (!subject.jsonl || bytes === null) return bytes;
  return bytes.length === 0 ? null : zeroEpoch(bytes);
}

/**
 * `bytes` of a JSONL file with the random epoch of its header (every created file has its own)
 * replaced by zeros of the same length, so runs compare byte for byte.
 */
function zeroEpoch(bytes: Buffer): Buffer {
  // latin1 maps every byte to one character and back, so nothing but the epoch changes.
  const text = bytes
    .toString('latin1')
    .replace(/^([^\n]*"epoch":")([0-9a-f]+)"/, (_, head, epoch) => `${head}${'0'.repeat(epoch.length)}"`);
  return Buffer.from(text, 'latin1');
}

function expectStorageIo(error: unknown, label: string): void {
  expect(isLicenseKitError(error, 'STORAGE_IO'), `${label}: ${String(error)}`).toBe(true);
}

function same(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}

/**
 * A fault after the commit point: on the directory fsync after a rename or append, or a JSONL
 * rollback (ftruncate) that failed too. Then the operation rejects although its data is in the file.
 */
function pastCommit(faults: readonly Fault[], dir: string): boolean {
  return faults.some((fault) => fault.path === dir || fault.op === 'ftruncate');
}

function describeFaults(faults: readonly Fault[]): string {
  const shown = faults.slice(0, 4).map((f) => `#${f.call} ${f.op} ${f.path.split('/').pop()}`);
  return `${shown.join(', ')}${faults.length > 4 ? ` +${faults.length - 4} more` : ''}`;
}

interface LoopReport {
  /** The N at which the operation ran with no fault. */
  cleanAt: number;
  rejected: number;
  /** Faulted runs that resolved anyway (e.g. a failed close of a read-only descriptor). */
  resolved: number;
  /** Rejected runs whose data was in the file anyway (see {@link pastCommit}). */
  landed: number;
}

/** A dir seeded for `subject`, and the target's bytes after the operation ran with no fault. */
async function prepare(subject: Subject) {
  const baseline = await dirs.make('fault-seed');
  const cut = await subject.seed(baseline);
  const dir = await dirs.make('fault-reference');
  await cp(baseline, dir, { recursive: true });
  const instance = subject.open(dir, new FaultyIO());
  await instance.warm();
  await instance.run();
  await instance.close();
  return { baseline, cut: cut && zeroEpoch(cut), reference: await targetBytes(subject, dir) };
}

async function faultLoop(subject: Subject, persistent: boolean): Promise<LoopReport> {
  const { baseline, cut, reference } = await prepare(subject);
  const report: LoopReport = { cleanAt: 0, rejected: 0, resolved: 0, landed: 0 };
  for (let n = 1; n <= 100 && report.cleanAt === 0; n++) {
    const dir = await makeTempDir('fault');
    try {
      await cp(baseline, dir, { recursive: true });
      const io = new FaultyIO();
      const instance = subject.open(dir, io);
      await instance.warm();
      const before = await targetBytes(subject, dir);
      const code = n % 2 === 0 ? 'ENOSPC' : 'EIO';
      io.arm({ at: n, persistent, code });
      const outcome = await settle(instance.run());
      const faults = io.disarm();
      const after = await targetBytes(subject, dir);
      const label = `${subject.name}, ${persistent ? 'persistent' : 'once'}, N=${n}: ${describeFaults(faults)}`;

      if (faults.length === 0) {
        report.cleanAt = n;
        expect(outcome, label).toEqual({ ok: true });
      } else if (outcome.ok) {
        report.resolved++;
      } else {
        report.rejected++;
        expectStorageIo(outcome.error, label);
        // The original errno travels along as the cause.
        expect((outcome.error as { cause?: { code?: string } }).cause?.code, label).toBe(code);
        if (same(after, reference)) report.landed++;
      }
      // Resolved: the new content. Rejected: the old one (or the old one with its torn tail cut off),
      // or the new one if the fault came after the commit point.
      const allowed: (Buffer | null)[] = [];
      if (outcome.ok || pastCommit(faults, dir)) allowed.push(reference);
      if (!outcome.ok) allowed.push(before, ...(cut ? [cut] : []));
      expect(
        allowed.some((state) => same(after, state)),
        `${label}: the target is neither the old nor the new content`,
      ).toBe(true);
      expect(await leftoverFiles(dir), label).toEqual([]);
      expect(io.fsyncRetries, `${label}: fsync retried after it failed`).toEqual([]);

      // The fault has cleared: the same instance retries, then writes something else.
      await instance.run();
      expect(same(await targetBytes(subject, dir), reference), `${label}: retry`).toBe(true);
      await instance.another();
      await instance.close();
      await subject.check(dir);
      expect(await leftoverFiles(dir), label).toEqual([]);
    } finally {
      await removeTempDir(dir);
    }
  }
  return report;
}

describe('the I/O error loop: fail the Nth write/fsync/rename/close/ftruncate/link', () => {
  for (const subject of subjects) {
    for (const persistent of [false, true]) {
      it(`${subject.name}, failing ${persistent ? 'every call from the Nth on' : 'the Nth call once'}`, async () => {
        const report = await faultLoop(subject, persistent);
        expect(report.cleanAt, 'the loop never reached a run without faults').toBeGreaterThan(0);
        // Faults were really injected and most of them made the operation fail.
        expect(report.rejected).toBeGreaterThan(0);
        console.info(`${subject.name} (${persistent ? 'persistent' : 'once'}): ${JSON.stringify(report)}`);
      });
    }
  }
});

describe('a short write (write() reports half the bytes once)', () => {
  for (const subject of subjects) {
    it(`${subject.name}: never commits a partial record or file`, async () => {
      const { baseline, cut, reference } = await prepare(subject);
      for (let nth = 1; nth <= 4; nth++) {
        const dir = await makeTempDir('short-write');
        try {
          await cp(baseline, dir, { recursive: true });
          const io = new FaultyIO();
          const instance = subject.open(dir, io);
          await instance.warm();
          const before = await targetBytes(subject, dir);
          const fragment = cut && (await readFile(join(dir, subject.target))).subarray(cut.length);
          io.armShortWrite(nth);
          const outcome = await settle(instance.run());
          io.disarm();
          const after = await targetBytes(subject, dir);
          const label = `${subject.name}, short write #${nth}`;
          if (outcome.ok) {
            expect(same(after, reference), label).toBe(true);
          } else {
            expectStorageIo(outcome.error, label);
            expect(same(after, before) || (cut !== null && same(after, cut)), label).toBe(true);
          }
          // A JSON document is written with a write loop; a JSONL batch is one write() or nothing.
          if (subject.target === 'licenses.json') expect(outcome.ok, label).toBe(true);
          if (fragment) {
            // Every kept copy of a torn tail is complete.
            for (const name of await tornFiles(dir)) {
              expect((await readFile(join(dir, name))).equals(fragment), `${label}: ${name}`).toBe(true);
            }
          }
          expect(await leftoverFiles(dir), label).toEqual([]);
          await instance.run();
          expect(same(await targetBytes(subject, dir), reference), `${label}: retry`).toBe(true);
          await instance.another();
          await instance.close();
          await subject.check(dir);
        } finally {
          await removeTempDir(dir);
        }
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// Real ENOSPC: a 256 KiB tmpfs.

const tmpfs = await makeTempDir('tmpfs');
let mountError: string | null = null;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', tmpfs], { stdio: 'pipe' });
} catch (error) {
  mountError = `cannot mount a tmpfs here (${String((error as Error).message).split('\n')[0]})`;
}
afterAll(async () => {
  if (mountError === null) execFileSync('umount', [tmpfs]);
  await removeTempDir(tmpfs);
});

describe('a full disk (256 KiB tmpfs)', () => {
  it.skipIf(mountError !== null)(
    `ENOSPC rejects with STORAGE_IO, keeps the files intact, and freeing space fixes it${mountError ? ` [skipped: ${mountError}]` : ''}`,
    async () => {
      const dir = join(tmpfs, 'data');
      await writeFile(join(tmpfs, 'filler.bin'), Buffer.alloc(96 * 1024, 1));
      const storage = fileStorage({ dir });
      const inserted: string[] = [];
      let insertError: unknown = null;
      while (insertError === null && inserted.length < 1000) {
        const license = licenseFixture();
        await storage.licenses.insert(license).then(
          () => inserted.push(license.key),
          (error: unknown) => {
            insertError = error;
          },
        );
      }
      expect(isLicenseKitError(insertError, 'STORAGE_IO'), String(insertError)).toBe(true);
      expect((insertError as Error & { cause?: { code?: string } }).cause?.code).toBe('ENOSPC');
      const document = JSON.parse(await readFile(join(dir, 'licenses.json'), 'utf8')) as {
        licenses: License[];
      };
      expect(document.licenses.map((license) => license.key)).toEqual(inserted);
      expect(await leftoverFiles(dir)).toEqual([]);

      const appended: string[] = [];
      let appendError: unknown = null;
      for (let i = 0; appendError === null && i < 1000; i++) {
        const record = recordFor(licenseFixture());
        await storage.purchases.append(record).then(
          () => appended.push(record.id),
          (error: unknown) => {
            appendError = error;
          },
        );
      }
      expect(isLicenseKitError(appendError, 'STORAGE_IO'), String(appendError)).toBe(true);
      const log = await inspectJsonl(join(dir, 'purchases.jsonl'));
      expect(log?.badLines).toEqual([]);
      expect(log?.tornTail).toBeNull();
      const ids = log!.values.slice(1).map((record) => (record as AuditRecord).id);
      expect(ids.filter((id) => appended.includes(id))).toEqual(appended);

      await rm(join(tmpfs, 'filler.bin'));
      const late = licenseFixture();
      expect((await storage.licenses.insert(late)).created).toBe(true);
      expect(await storage.purchases.append(recordFor(late))).toBe(true);
      await closeStorage(storage);

      const fresh = fileStorage({ dir });
      const keys = (await collect(fresh.licenses.list())).map((license) => license.key);
      expect(keys).toEqual([...inserted, late.key]);
      const records = await collect(fresh.purchases.scan({ kind: 'purchase' }));
      expect(records.map((record) => record.id)).toEqual([...appended, records.at(-1)!.id]);
      expect(records.at(-1)?.licenseKey).toBe(late.key);
      await closeStorage(fresh);
      expect(await leftoverFiles(dir)).toEqual([]);
    },
  );
});

// ---------------------------------------------------------------------------------------------------
// Real short writes: `ulimit -f 64` makes write() stop at 64 KiB (short count, then EFBIG).

describe('a file size limit (ulimit -f 64)', () => {
  it('inserts and appends until the limit: the failing write rejects and both files stay intact', async () => {
    const dir = await dirs.make('ulimit');
    const child = spawnChild('efbig-writer.ts', [dir], { shellPrefix: 'ulimit -f 64;' });
    await expectCleanExit(child);
    const result = JSON.parse(child.lines.find((line) => line.startsWith('RESULT '))!.slice(7)) as {
      inserted: string[];
      insertError: { code: string; cause: string };
      appended: string[];
      appendError: { code: string; cause: string };
    };
    expect(result.insertError).toEqual({ code: 'STORAGE_IO', cause: 'EFBIG' });
    expect(result.appendError.code).toBe('STORAGE_IO');
    expect(result.inserted.length).toBeGreaterThan(20);

    const licenses = await readFile(join(dir, 'licenses.json'));
    expect(licenses.length).toBeLessThanOrEqual(64 * 1024);
    const document = JSON.parse(licenses.toString('utf8')) as { licenses: License[] };
    expect(document.licenses.map((license) => license.key)).toEqual(result.inserted);
    const log = await inspectJsonl(join(dir, 'purchases.jsonl'));
    expect(log?.badLines).toEqual([]);
    expect(log?.tornTail).toBeNull();
    expect(log!.values.slice(1).map((record) => (record as AuditRecord).id)).toEqual(result.appended);
    expect(await leftoverFiles(dir)).toEqual([]);
  });
});
