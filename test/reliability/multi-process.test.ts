import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { type Child, expectCleanExit, spawnChild } from '../helpers/child.js';
import { inspectJsonl } from '../helpers/files.js';
import {
  closeStorage,
  collect,
  type Layout,
  layouts,
  licensePath,
  openLayout,
  purchasePath,
} from '../helpers/storage.js';
import { TempDirs } from '../helpers/temp-dir.js';

// U1 / J3: several processes write one store at once. Children open the store, print READY and wait
// for GO, so all of them start writing together.

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

const processes = 4;

async function startTogether(args: (id: number) => string[]): Promise<Child[]> {
  const children = Array.from({ length: processes }, (_, id) => spawnChild('concurrent-writer.ts', args(id)));
  await Promise.all(children.map((child) => child.waitForLine((line) => line === 'READY')));
  for (const child of children) child.send('GO');
  await Promise.all(children.map(expectCleanExit));
  return children;
}

/** The payload of the line starting with `prefix`. */
function output(child: Child, prefix: string): unknown {
  const line = child.lines.find((l) => l.startsWith(`${prefix} `));
  if (line === undefined) throw new Error(`child ${child.pid} printed no ${prefix} line`);
  return JSON.parse(line.slice(prefix.length + 1));
}

async function expectFilesParse(layout: Layout, dir: string): Promise<void> {
  const jsonl = [purchasePath(dir)];
  if (layout === 'fileStorage') JSON.parse(await readFile(licensePath(layout, dir), 'utf8'));
  else jsonl.push(licensePath(layout, dir));
  for (const path of jsonl) {
    const file = await inspectJsonl(path);
    if (file === null) continue; // nothing appended yet
    expect(file.badLines).toEqual([]);
    expect(file.tornTail).toBeNull();
  }
}

describe.each(layouts)('%s shared by 4 processes', (layout) => {
  it('4 × 250 inserts and appends: exactly 1,000 licenses and records, each writer in its own order', async () => {
    const dir = await dirs.make(`multi-${layout}`);
    const perChild = 250;
    const children = await startTogether((id) => ['distinct', layout, dir, String(id), String(perChild)]);
    for (const child of children)
      expect(output(child, 'DONE')).toEqual({ created: perChild, appended: perChild });
    await expectFilesParse(layout, dir);

    const expectedSales = Array.from({ length: processes }, (_, id) =>
      Array.from({ length: perChild }, (_, i) => `c${id}-${i}`),
    ).flat();
    const storage = openLayout(layout, dir);
    try {
      const licenses = await collect(storage.licenses.list());
      expect(licenses).toHaveLength(processes * perChild);
      expect(new Set(licenses.map((license) => license.key)).size).toBe(processes * perChild);
      expect(licenses.map((license) => license.purchaseId).sort()).toEqual([...expectedSales].sort());

      const records = await collect(storage.purchases.scan({ kind: 'purchase' }));
      expect(records).toHaveLength(processes * perChild);
      expect(new Set(records.map((record) => record.id)).size).toBe(processes * perChild);
      const order = new Map<string, number[]>();
      for (const record of records) {
        if (record.kind !== 'purchase') continue;
        const [writer, i] = record.event.eventId.slice(1).split('-');
        order.set(writer!, [...(order.get(writer!) ?? []), Number(i)]);
        expect(record.licenseKey).toBe(licenses.find((l) => l.purchaseId === record.event.eventId)?.key);
      }
      const inOrder = Array.from({ length: perChild }, (_, i) => i);
      for (let id = 0; id < processes; id++) expect(order.get(String(id))).toEqual(inOrder);
    } finally {
      await closeStorage(storage);
    }
  }, 60_000);

  it('20 concurrent inserts of ONE sale from 4 processes: one license, one created, same key everywhere', async () => {
    const dir = await dirs.make(`same-sale-${layout}`);
    const children = await startTogether((id) => ['same-sale', layout, dir, String(id), '5']);
    const results = children.flatMap(
      (child) => output(child, 'RESULT') as { key: string; created: boolean }[],
    );
    expect(results).toHaveLength(20);
    expect(results.filter((result) => result.created)).toHaveLength(1);
    const keys = new Set(results.map((result) => result.key));
    expect(keys.size).toBe(1);
    await expectFilesParse(layout, dir);

    const storage = openLayout(layout, dir);
    try {
      const licenses = await collect(storage.licenses.list());
      expect(licenses.map((license) => license.key)).toEqual([...keys]);
      expect((await storage.licenses.getByPurchase('gumroad', 'same-sale'))?.key).toBe([...keys][0]);
    } finally {
      await closeStorage(storage);
    }
  }, 60_000);
});

// Containers that share a volume run under one hostname, each in a PID namespace of its own: they
// cannot see each other's pids, and each may be pid 1. None may take the other's live lock for a
// dead one's (or for its own leftover).

const ownPidNamespace = ['unshare', '--pid', '--fork', '--mount-proc'];
const namespaceError = (() => {
  const probe = spawnSync(ownPidNamespace[0]!, [...ownPidNamespace.slice(1), 'true'], { encoding: 'utf8' });
  return probe.status === 0
    ? null
    : `cannot start a PID namespace here (${probe.error?.message ?? probe.stderr.trim()})`;
})();

describe('fileStorage shared by processes in separate PID namespaces', () => {
  it.skipIf(namespaceError !== null)(
    `3 × 150 inserts and appends, each writer pid 1 of its own namespace: every one stored once${namespaceError ? ` [skipped: ${namespaceError}]` : ''}`,
    async () => {
      const dir = await dirs.make('pid-namespaces');
      const writers = 3;
      const perChild = 150;
      const children = Array.from({ length: writers }, (_, id) =>
        spawnChild('concurrent-writer.ts', ['distinct', 'fileStorage', dir, String(id), String(perChild)], {
          launcher: ownPidNamespace,
        }),
      );
      await Promise.all(children.map((child) => child.waitForLine((line) => line === 'READY')));
      for (const child of children) child.send('GO');
      await Promise.all(children.map(expectCleanExit));
      for (const child of children) {
        expect(output(child, 'DONE')).toEqual({ created: perChild, appended: perChild });
      }
      const storage = openLayout('fileStorage', dir);
      try {
        const licenses = await collect(storage.licenses.list());
        expect(new Set(licenses.map((license) => license.purchaseId)).size).toBe(writers * perChild);
        expect(licenses).toHaveLength(writers * perChild);
        expect(await collect(storage.purchases.scan({ kind: 'purchase' }))).toHaveLength(writers * perChild);
      } finally {
        await closeStorage(storage);
      }
    },
    60_000,
  );
});
