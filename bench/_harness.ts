import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One measured scenario: throughput, and the ratio to its baseline when it has one. */
export interface Row {
  scenario: string;
  subject: string;
  opsPerSec: number;
  baseline?: string;
  ratio?: number;
  target?: string;
}

/** Runs `op` repeatedly for about `ms` milliseconds (after a warm-up) and returns operations per second. */
export async function throughput(op: () => unknown, ms: number, batch = 1): Promise<number> {
  const warmUntil = performance.now() + ms / 4;
  while (performance.now() < warmUntil) await op();
  let count = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await op();
    count += batch;
    now = performance.now();
  }
  return (count * 1000) / (now - start);
}

/** Times one run of `op` in milliseconds, best of `runs`. */
export async function bestTime(op: () => unknown, runs: number): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await op();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'licensekit-bench-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Prints rows as a Markdown table. */
export function table(rows: readonly Row[]): string {
  const format = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
  const lines = [
    '| scenario | subject | ops/s | baseline | ratio | target |',
    '| --- | --- | ---: | --- | ---: | --- |',
    ...rows.map(
      (row) =>
        `| ${row.scenario} | ${row.subject} | ${format(row.opsPerSec)} | ${row.baseline ?? ''} | ${
          row.ratio === undefined ? '' : `${row.ratio.toFixed(3)}×`
        } | ${row.target ?? ''} |`,
    ),
  ];
  return lines.join('\n');
}
