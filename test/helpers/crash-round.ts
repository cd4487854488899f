import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { licenseFixture } from '../../src/testing/fixtures.js';
import { spawnChild } from './child.js';
import { inspectJsonl, leftoverFiles, readBytes, tornFiles } from './files.js';
import {
  closeStorage,
  collect,
  type Layout,
  licensePath,
  openLayout,
  purchasePath,
  recordFor,
} from './storage.js';

/**
 * The kill -9 loop shared by `test/reliability/kill-9.test.ts` and `scripts/crash-loop.ts`: a child
 * inserts a license and appends its purchase record in a loop and prints `ACK <key>` only after both
 * resolved; the parent SIGKILLs it after a random 5–150 ms, then checks the files and a fresh
 * storage: every ACKed key present once, every file parses, no temp file left after one write.
 */
export interface CrashLoop {
  readonly layout: Layout;
  readonly dir: string;
  /** Every key acknowledged so far, by a child or by the parent's own write. */
  readonly acked: Set<string>;
  readonly totals: CrashTotals;
}

/** What a crash loop has done so far. */
export interface CrashTotals {
  rounds: number;
  /** Keys the children acknowledged before they were killed. */
  childAcks: number;
  /** Keys found in the store that no child acknowledged (allowed: killed after the write, before the ACK). */
  unackedPresent: number;
  missing: number;
  duplicates: number;
  /** Rounds that found an unterminated last line in a JSONL file right after the kill. */
  tornTailsSeen: number;
  /** `<file>.torn-*` files in the directory: torn tails cut off by a later append. */
  tornTailsRepaired: number;
  /** Licenses a fresh fileStorage gave a `created` record because the kill came before their purchase record. */
  reconciled: number;
  /** Rounds with at least one problem. */
  failedRounds: number;
}

/** The outcome of one round: empty `problems` means every check passed. */
export interface RoundResult {
  round: number;
  delayMs: number;
  acks: number;
  problems: string[];
}

/** A crash loop over `layout` in `dir` (reused across rounds, so data accumulates). */
export function createCrashLoop(layout: Layout, dir: string): CrashLoop {
  return {
    layout,
    dir,
    acked: new Set(),
    totals: {
      rounds: 0,
      childAcks: 0,
      unackedPresent: 0,
      missing: 0,
      duplicates: 0,
      tornTailsSeen: 0,
      tornTailsRepaired: 0,
      reconciled: 0,
      failedRounds: 0,
    },
  };
}

/** Runs one kill -9 round and every check after it. */
export async function crashRound(loop: CrashLoop): Promise<RoundResult> {
  const { layout, dir, totals } = loop;
  const problems: string[] = [];
  const child = spawnChild('crash-writer.ts', [layout, dir]);
  await child.waitForLine((line) => line === 'READY');
  const delayMs = randomInt(5, 151);
  await sleep(delayMs);
  const exit = await child.kill();
  if (exit.signal !== 'SIGKILL') problems.push(`child ended on its own (${exit.code}): ${exit.stderr}`);
  const acks = child.lines.filter((line) => line.startsWith('ACK ')).map((line) => line.slice(4));
  for (const key of acks) loop.acked.add(key);
  totals.childAcks += acks.length;

  problems.push(...(await checkFilesAfterKill(loop)));
  problems.push(...(await checkFreshStorage(loop)));

  totals.rounds++;
  totals.tornTailsRepaired = (await tornFiles(dir)).length;
  if (problems.length > 0) totals.failedRounds++;
  return { round: totals.rounds, delayMs, acks: acks.length, problems };
}

/** Right after the kill: the license file parses, every complete JSONL line parses. */
async function checkFilesAfterKill(loop: CrashLoop): Promise<string[]> {
  const problems: string[] = [];
  const licenses = licensePath(loop.layout, loop.dir);
  const files = [purchasePath(loop.dir)];
  if (loop.layout === 'fileStorage') {
    const bytes = await readBytes(licenses);
    if (bytes !== null) {
      try {
        const document = JSON.parse(bytes.toString('utf8')) as { format?: unknown; licenses?: unknown[] };
        if (document.format !== 'licensekit-licenses') problems.push(`${licenses} has no format header`);
        const keys = (document.licenses ?? []).map((license) => (license as { key: string }).key);
        if (new Set(keys).size !== keys.length) problems.push(`${licenses} holds a key twice`);
      } catch (error) {
        problems.push(`${licenses} does not parse: ${(error as Error).message}`);
      }
    }
  } else {
    files.push(licenses);
  }
  let torn = false;
  for (const path of files) {
    const file = await inspectJsonl(path);
    if (file === null) continue;
    for (const bad of file.badLines) problems.push(`${path} ${bad}`);
    const header = file.values[0] as { format?: unknown; version?: unknown } | undefined;
    if (header !== undefined && header.version !== 1) problems.push(`${path} has no version 1 header`);
    if (file.tornTail !== null) torn = true;
  }
  if (torn) loop.totals.tornTailsSeen++;
  if (loop.layout === 'jsonl') {
    const journal = await inspectJsonl(licenses);
    const keys = (journal?.values.slice(1) ?? []).map((license) => (license as { key: string }).key);
    if (new Set(keys).size !== keys.length) problems.push(`${licenses} holds a key twice`);
  }
  return problems;
}

/** A fresh storage sees every ACKed key once; after one write no temp file and no torn tail remain. */
async function checkFreshStorage(loop: CrashLoop): Promise<string[]> {
  const problems: string[] = [];
  const storage = openLayout(loop.layout, loop.dir);
  try {
    for (const key of loop.acked) {
      if ((await storage.licenses.get(key)) === null) problems.push(`ACKed key ${key} is missing (get)`);
    }
    const listed = (await collect(storage.licenses.list())).map((license) => license.key);
    const listedSet = new Set(listed);
    if (listedSet.size !== listed.length) problems.push(`list() returns a key twice`);
    loop.totals.duplicates += listed.length - listedSet.size;
    const missing = [...loop.acked].filter((key) => !listedSet.has(key));
    for (const key of missing) problems.push(`ACKed key ${key} is missing (list)`);
    loop.totals.missing += missing.length;

    const purchasesPerKey = new Map<string, number>();
    const createdPerKey = new Map<string, number>();
    const ids = new Set<string>();
    for (const record of await collect(storage.purchases.scan())) {
      if (ids.has(record.id)) problems.push(`record ${record.id} is in the log twice`);
      ids.add(record.id);
      const counts =
        record.kind === 'purchase' ? purchasesPerKey : record.action === 'created' ? createdPerKey : null;
      if (counts && record.licenseKey !== null) {
        counts.set(record.licenseKey, (counts.get(record.licenseKey) ?? 0) + 1);
      }
    }
    for (const key of loop.acked) {
      const count = purchasesPerKey.get(key) ?? 0;
      if (count !== 1) problems.push(`ACKed key ${key} has ${count} purchase records`);
    }
    for (const key of listed) {
      if ((createdPerKey.get(key) ?? 0) > 1) problems.push(`license ${key} has several created records`);
      // fileStorage reconciles on open: a license written just before a kill gets a record naming it.
      const named = (purchasesPerKey.get(key) ?? 0) + (createdPerKey.get(key) ?? 0) > 0;
      if (loop.layout === 'fileStorage' && !named) problems.push(`no record names license ${key} after open`);
    }
    loop.totals.unackedPresent = listed.length - loop.acked.size;
    loop.totals.reconciled = createdPerKey.size;

    const license = licenseFixture();
    await storage.licenses.insert(license);
    await storage.purchases.append(recordFor(license));
    loop.acked.add(license.key);
  } catch (error) {
    problems.push(`fresh storage failed: ${(error as Error).stack ?? String(error)}`);
  } finally {
    await closeStorage(storage).catch(() => undefined);
  }
  const leftovers = await leftoverFiles(loop.dir);
  if (leftovers.length > 0) problems.push(`left over after a write: ${leftovers.join(', ')}`);
  const paths = [
    purchasePath(loop.dir),
    ...(loop.layout === 'jsonl' ? [licensePath('jsonl', loop.dir)] : []),
  ];
  for (const path of paths) {
    if ((await inspectJsonl(path))?.tornTail) problems.push(`${path} still has a torn tail after a write`);
  }
  return problems;
}
