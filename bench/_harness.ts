import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** Who a row measures. Ratios are taken to the `baseline`, `lowdb` and `bound` rows of its group. */
export type Role = 'licensekit' | 'baseline' | 'lowdb' | 'bound';

/** What one measurement found. Latencies are per call (per pass for one-shot scenarios). */
export interface Measurement {
  /** Calls (or passes) timed. */
  n: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Highest `process.memoryUsage.rss()` sampled while measuring, in MB. */
  peakRssMb: number;
}

/** One row of the report: a subject measured in one scenario, size and caller count. */
export interface Row extends Measurement {
  scenario: string;
  size: string;
  callers: number;
  subject: string;
  role: Role;
  /** The bound row (by subject) this row is compared with when its group has several. */
  bound?: string;
  note?: string;
  vsBaseline?: number;
  vsLowdb?: number;
  vsBound?: number;
}

/** A target of the issues, checked on the final rows. */
export interface Target {
  name: string;
  scenario: string;
  size: string;
  callers: number;
  subject: string;
  metric: 'opsPerSec' | 'vsBaseline' | 'vsLowdb' | 'vsBound';
  min: number;
}

/** What a scenario family returns. */
export interface FamilyResult {
  rows: Row[];
  targets: Target[];
}

/** Settings every family gets from `run.ts`. */
export interface BenchSettings {
  quick: boolean;
  /** License counts. */
  sizes: readonly number[];
  /** Purchase record counts (stats, export, log open). */
  records: readonly number[];
  /** Time budget of one timed pass. */
  ms: number;
  /** Concurrent caller counts. */
  callers: readonly number[];
  /** Run only subjects whose name contains this (for profiling one row). */
  subject?: string;
}

/** Whether `subject` is to be run. */
export function wanted(settings: BenchSettings, subject: string): boolean {
  return settings.subject === undefined || subject.includes(settings.subject);
}

/** Returned by an op to say "my turn came after the deadline": not counted, the caller stops. */
export const skipped: unique symbol = Symbol('skipped');

/**
 * One call of a measured operation. `i` is unique per call (fresh inputs for writes); `late()` is
 * true once the time is up, for subjects that queue calls and should drop the ones not yet started.
 */
export type Op = (i: number, late: () => boolean) => unknown;

/** Options of {@link measure}. */
export interface MeasureOptions {
  ms: number;
  callers: number;
  /** Inputs run out after this many calls (warm-up included). */
  maxOps?: number;
  /** Keep going past the deadline until this many calls are timed. */
  minOps?: number;
  /** Names the CPU profile of the timed phase, when profiling is on (`--profile DIR`). */
  label?: string;
  /** Length of the untimed phase (default `ms / 2`): long enough to include the subject's flushes. */
  untimedMs?: number;
}

let profileDir: string | null = null;

/** Turns on CPU profiles of every timed phase, written to `dir` as `<label>.cpuprofile`. */
export function profileInto(dir: string): void {
  mkdirSync(dir, { recursive: true });
  profileDir = dir;
}

/** Runs `body` under the V8 CPU profiler (the one `node --cpu-prof` uses) when profiling is on. */
async function profiled<T>(label: string | undefined, body: () => Promise<T>): Promise<T> {
  if (profileDir === null) return body();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  try {
    return await body();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    const name = (label ?? 'measure').replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    writeFileSync(`${profileDir}/${name}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}

let rssPeak = 0;
let rssTimer: ReturnType<typeof setInterval> | null = null;

function sampleRss(): void {
  const rss = process.memoryUsage.rss();
  if (rss > rssPeak) rssPeak = rss;
}

/** Starts sampling RSS every 50 ms (a sample costs tens of µs: /proc is read) from the current value. */
function startRss(): void {
  globalThis.gc?.();
  rssPeak = 0;
  sampleRss();
  rssTimer = setInterval(sampleRss, 50);
}

function stopRss(): number {
  sampleRss();
  if (rssTimer) clearInterval(rssTimer);
  rssTimer = null;
  return rssPeak / 2 ** 20;
}

interface PhaseOptions {
  ms: number;
  callers: number;
  timed: boolean;
  /** Read the clock every this many calls of an untimed phase (1 when calls may be slow). */
  checkEvery: number;
  counter: { next: number };
  maxOps: number;
  minOps: number;
}

/**
 * Runs `op` from `callers` concurrent loops until the time is up. Every 10 ms all loops pause at
 * once for one event-loop turn, so timers and I/O (write-behind flushes, staleness timers) run
 * inside the measured window as they would in a server. A timed phase records each call's own
 * latency, from just before the call to just after its promise settles.
 */
async function phase(
  op: Op,
  options: PhaseOptions,
): Promise<{ count: number; seconds: number; latencies: number[] }> {
  const { callers, timed, checkEvery, counter, maxOps, minOps } = options;
  const latencies: number[] = [];
  const start = performance.now();
  const until = start + options.ms;
  let count = 0;
  let lastYield = start;
  let pause: Promise<void> | null = null;
  const late = () => performance.now() >= until && count >= minOps;
  const caller = async () => {
    for (let k = 0; ; k++) {
      if (pause) await pause;
      if (timed || k % checkEvery === 0) {
        const now = performance.now();
        if ((now >= until && count >= minOps) || counter.next >= maxOps) return;
        if (now - lastYield >= 10) {
          lastYield = now;
          pause = yieldToLoop().then(() => {
            pause = null;
          });
          continue;
        }
      } else if (counter.next >= maxOps) return;
      const i = counter.next++;
      const t0 = timed ? performance.now() : 0;
      if ((await op(i, late)) === skipped) return;
      if (timed) latencies.push(performance.now() - t0);
      count++;
    }
  };
  await Promise.all(Array.from({ length: callers }, caller));
  return { count, seconds: (performance.now() - start) / 1000, latencies };
}

/**
 * Measures `op`: a warm-up, then a timed phase recording every call's latency (p50/p99). When calls
 * take under 20 µs, the clock reads would weigh on the result, so ops/s comes from a further
 * untimed phase (`untimedMs`, by default half as long as the timed one); otherwise from the timed
 * phase.
 */
export async function measure(op: Op, options: MeasureOptions): Promise<Measurement> {
  const { ms, callers } = options;
  const maxOps = options.maxOps ?? Number.POSITIVE_INFINITY;
  const counter = { next: 0 };
  startRss();
  try {
    const minOps = options.minOps ?? 3;
    // The warm-up may use at most a fifth of the inputs.
    const warmOps = Math.max(1, Math.floor(maxOps / 5));
    await phase(op, {
      ms: ms / 5,
      callers,
      timed: false,
      checkEvery: 1,
      counter,
      maxOps: warmOps,
      minOps: 1,
    });
    const timed = await profiled(options.label, () =>
      phase(op, { ms, callers, timed: true, checkEvery: 1, counter, maxOps, minOps }),
    );
    const sorted = timed.latencies.sort((a, b) => a - b);
    let opsPerSec = timed.count / timed.seconds;
    const p50Ms = percentile(sorted, 0.5);
    if (p50Ms < 0.02 && counter.next < maxOps) {
      const untimed = await phase(op, {
        ms: options.untimedMs ?? ms / 2,
        callers,
        timed: false,
        checkEvery: 16,
        counter,
        maxOps,
        minOps: 1,
      });
      opsPerSec = untimed.count / untimed.seconds;
    }
    return { n: timed.count, opsPerSec, p50Ms, p99Ms: percentile(sorted, 0.99), peakRssMb: stopRss() };
  } finally {
    stopRss();
  }
}

/**
 * Times one-shot operations (open a store, stats over a log) in rounds: each round runs every pass
 * once, in rotating order, so a change of machine load hits all subjects alike. Per pass: p50 is the
 * median run, p99 the slowest, ops/s is `units` (e.g. records) per second of the median run, peak RSS
 * the highest sampled while it ran. One untimed round first warms code and page cache, unless
 * `warmup` is false (huge passes).
 */
export async function timeRounds(
  passes: readonly (() => unknown)[],
  options: { runs: number; units?: number; warmup?: boolean },
): Promise<Measurement[]> {
  const times = passes.map((): number[] => []);
  const peaks = passes.map(() => 0);
  if (options.warmup !== false) for (const pass of passes) await pass();
  for (let round = 0; round < options.runs; round++) {
    for (let k = 0; k < passes.length; k++) {
      const i = (k + round) % passes.length;
      startRss();
      try {
        const start = performance.now();
        await passes[i]!();
        times[i]!.push(performance.now() - start);
      } finally {
        peaks[i] = Math.max(peaks[i]!, stopRss());
      }
    }
  }
  return times.map((runs, i) => {
    runs.sort((a, b) => a - b);
    const p50Ms = percentile(runs, 0.5);
    return {
      n: runs.length,
      opsPerSec: ((options.units ?? 1) * 1000) / p50Ms,
      p50Ms,
      p99Ms: percentile(runs, 0.99),
      peakRssMb: peaks[i]!,
    };
  });
}

/** A row for a subject that is not run at this size, with the reason. */
export function notRun(
  row: Pick<Row, 'scenario' | 'size' | 'callers' | 'subject' | 'role'>,
  note: string,
): Row {
  const nothing = Number.NaN;
  return { ...row, note, n: 0, opsPerSec: nothing, p50Ms: nothing, p99Ms: nothing, peakRssMb: nothing };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

/**
 * Runs calls one at a time in arrival order, as a process-wide mutex would; a call whose turn comes
 * after the deadline is skipped. For subjects that cannot run concurrently (read-modify-write).
 */
export function oneAtATime<A>(run: (arg: A) => unknown): (arg: A, late: () => boolean) => Promise<unknown> {
  let tail: Promise<unknown> = Promise.resolve();
  return (arg, late) => {
    const result = tail.then(() => (late() ? skipped : run(arg)));
    tail = result.catch(() => undefined);
    return result;
  };
}

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'licensekit-bench-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `1,000 licenses`. */
export function count(n: number, unit: string): string {
  return `${n.toLocaleString('en-US')} ${unit}`;
}

/** Prints progress to stderr, so stdout stays the report. */
export function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}

/** Fills in each row's ratios (its ops/s over the reference row's) within its scenario, size and callers. */
export function addRatios(rows: Row[]): Row[] {
  const groupOf = (row: Row) => `${row.scenario}\u0000${row.size}\u0000${row.callers}`;
  const groups = new Map<string, Row[]>();
  for (const row of rows) groups.set(groupOf(row), [...(groups.get(groupOf(row)) ?? []), row]);
  for (const row of rows) {
    if (row.n === 0) continue;
    const group = groups.get(groupOf(row))!;
    const rate = (role: Role, subject?: string) =>
      group.find((other) => other.role === role && (subject === undefined || other.subject === subject))
        ?.opsPerSec;
    const ratio = (reference: number | undefined) =>
      reference === undefined || !Number.isFinite(reference) || reference === 0
        ? undefined
        : row.opsPerSec / reference;
    if (row.role !== 'baseline') row.vsBaseline = ratio(rate('baseline'));
    if (row.role !== 'lowdb') row.vsLowdb = ratio(rate('lowdb'));
    if (row.role !== 'bound') row.vsBound = ratio(rate('bound', row.bound));
  }
  return rows;
}

/** Looks a target up in the rows: the measured value, and whether it is met. */
export function checkTarget(
  rows: readonly Row[],
  target: Target,
): { value: number | undefined; met: boolean } {
  const row = rows.find(
    (r) =>
      r.scenario === target.scenario &&
      r.size === target.size &&
      r.callers === target.callers &&
      r.subject === target.subject,
  );
  const value = row?.[target.metric];
  return { value, met: value !== undefined && value >= target.min };
}

const integer = (n: number) => n.toLocaleString('en-US');
const number = (n: number) =>
  !Number.isFinite(n) ? '–' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3);
const duration = (ms: number) =>
  !Number.isFinite(ms)
    ? '–'
    : ms < 1
      ? `${number(ms * 1000)} µs`
      : ms < 1000
        ? `${number(ms)} ms`
        : `${number(ms / 1000)} s`;
const ratio = (r: number | undefined) =>
  r === undefined || !Number.isFinite(r) ? '' : `${r >= 10 ? integer(Math.round(r)) : r.toPrecision(2)}×`;

/** The rows as one Markdown table per scenario. */
export function formatRows(rows: readonly Row[], unitsOf: (scenario: string) => string): string {
  const scenarios = [...new Set(rows.map((row) => row.scenario))];
  return scenarios
    .map((scenario) => {
      const lines = [
        `### ${scenario}`,
        '',
        `| size | callers | subject | n | ${unitsOf(scenario)} | p50 | p99 | peak RSS | × baseline | × lowdb | × bound |`,
        '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ];
      for (const row of rows.filter((r) => r.scenario === scenario)) {
        const subject = row.note ? `${row.subject} (${row.note})` : row.subject;
        lines.push(
          `| ${row.size} | ${row.callers} | ${subject} | ${integer(row.n)} | ${number(row.opsPerSec)} | ${duration(row.p50Ms)} | ${duration(row.p99Ms)} | ${Number.isFinite(row.peakRssMb) ? `${Math.round(row.peakRssMb)} MB` : '–'} | ${ratio(row.vsBaseline)} | ${ratio(row.vsLowdb)} | ${ratio(row.vsBound)} |`,
        );
      }
      return lines.join('\n');
    })
    .join('\n\n');
}

/** The targets as a Markdown table: measured value and met/missed. */
export function formatTargets(rows: readonly Row[], targets: readonly Target[]): string {
  const lines = ['| target | row | measured | result |', '| --- | --- | ---: | --- |'];
  for (const target of targets) {
    const { value, met } = checkTarget(rows, target);
    const shown =
      value === undefined
        ? 'not measured'
        : target.metric === 'opsPerSec'
          ? `${number(value)}/s`
          : ratio(value);
    lines.push(
      `| ${target.name} | ${target.scenario}, ${target.size}, ${target.callers} caller${target.callers === 1 ? '' : 's'}, ${target.subject} | ${shown} | ${met ? 'met' : 'missed'} |`,
    );
  }
  return lines.join('\n');
}
