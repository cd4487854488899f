/**
 * The CLI against a data directory another process is writing to (a server issuing keys): an
 * import and 50 license changes run while the other process creates 300 licenses. Nothing is lost
 * or duplicated: every license, every audit record and every cent is there at the end.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AuditRecord, License } from '../../src/index.js';
import { TempDirs } from '../helpers/temp-dir.js';
import { buildCli, type CliRun, childEnv, removeBuild, repoRoot, runCli, withStorage } from './helpers.js';

const legacy = fileURLToPath(new URL('./fixtures/legacy/', import.meta.url));
const writerScript = fileURLToPath(new URL('./fixtures/insert-licenses.ts', import.meta.url));
const temp = new TempDirs();
const written = 300;
const operated = 25;
let bin: string;
let outDir: string;

beforeAll(async () => {
  ({ bin, outDir } = await buildCli());
});

afterAll(async () => {
  await temp.removeAll();
  await removeBuild(outDir);
});

/** Starts the writer; resolves `ready` once its storage is open and `done` with its count. */
function startWriter(dir: string): { ready: Promise<void>; done: Promise<number> } {
  const child = spawn(process.execPath, ['--import', 'tsx', writerScript, dir, String(written)], {
    cwd: repoRoot,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (stdout.includes('READY\n')) onReady();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<number>((resolve, reject) => {
    child.on('close', (code) => {
      const count = /DONE (\d+)/.exec(stdout)?.[1];
      if (code === 0 && count !== undefined) resolve(Number(count));
      else reject(new Error(`writer exited ${code}\n${stderr}`));
    });
  });
  return { ready, done };
}

/** Runs `tasks` with at most `limit` at a time. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

it('loses nothing while another process writes to the same data directory', async () => {
  const dir = await temp.make('cli-concurrent');
  const expiries = new Map<string, string>();
  const keys = await withStorage(dir, async (manager) => {
    const made: string[] = [];
    for (let i = 0; i < operated; i++) {
      const license = await manager.createLicense({
        email: `op-${i}@example.com`,
        customerName: 'Op',
        productId: 'app',
        expiresInDays: 30,
      });
      made.push(license.key);
      expiries.set(license.key, license.expiresAt!);
    }
    return made;
  });

  const writer = startWriter(dir);
  await writer.ready;
  const cli =
    (...args: string[]) =>
    () =>
      runCli(bin, [...args, '--data', dir]);
  const tasks = [
    cli(
      'import-legacy',
      '--licenses',
      join(legacy, 'licenses.json'),
      '--purchases',
      join(legacy, 'purchases.jsonl'),
      '--allow-skips',
    ),
    ...keys.flatMap((key) => [
      cli('license', 'revoke', key, '--reason', 'test'),
      cli('license', 'extend', key, '--days', '7'),
    ]),
  ];
  let writerRunning = true;
  const stopped = () => {
    writerRunning = false;
  };
  writer.done.then(stopped, stopped);
  let overlapping = 0;
  const runs: CliRun[] = await pool(
    tasks.map((task) => async () => {
      const run = await task();
      if (writerRunning) overlapping++;
      return run;
    }),
    6,
  );
  expect(await writer.done).toBe(written);
  expect(overlapping, 'CLI runs that ended while the writer was writing').toBeGreaterThan(5);
  expect(runs.filter((run) => run.code !== 0 || run.stderr !== '')).toEqual([]);

  await withStorage(dir, async (manager, storage) => {
    const licenses: License[] = [];
    for await (const license of storage.licenses.list()) licenses.push(license);
    const records: AuditRecord[] = [];
    for await (const record of manager.audit.query()) records.push(record);

    expect(licenses).toHaveLength(operated + written + 7);
    expect(new Set(licenses.map((license) => license.key.toUpperCase())).size).toBe(licenses.length);
    const created = records.filter((record) => record.kind === 'license' && record.action === 'created');
    expect(created.map((record) => record.licenseKey).sort()).toEqual(licenses.map((l) => l.key).sort());
    expect(licenses.filter((license) => license.email.startsWith('writer-'))).toHaveLength(written);

    for (const key of keys) {
      const license = licenses.find((candidate) => candidate.key === key)!;
      expect([license.status, license.statusReason]).toEqual(['revoked', 'test']);
      // Extended once, from its expiry (later than now): 7 days after it.
      expect(license.expiresAt).toBe(new Date(Date.parse(expiries.get(key)!) + 7 * 86_400_000).toISOString());
    }
    const byCli = records.filter((record) => record.kind === 'license' && record.actor === 'cli');
    expect(byCli).toHaveLength(2 * operated);
    expect(records.filter((record) => record.kind === 'purchase')).toHaveLength(8);
    expect((await manager.audit.getPurchaseStats()).revenue).toEqual({
      EUR: { gross: 6890, refunded: 0, net: 6890 },
      JPY: { gross: 4800, refunded: 0, net: 4800 },
      USD: { gross: 6498, refunded: 2999, net: 3499 },
    });
  });
});
