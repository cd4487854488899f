import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  addRatios,
  type BenchSettings,
  checkTarget,
  type FamilyResult,
  formatRows,
  formatTargets,
  profileInto,
  type Row,
  type Target,
} from './_harness.js';
import { auditFamily, exportScenario, statsScenario } from './audit.bench.js';
import { createFamily } from './create.bench.js';
import { logScenario, openFamily, scenario as openScenario } from './open.bench.js';
import { validateFamily } from './validate.bench.js';
import { webhookFamily } from './webhook.bench.js';

/**
 * `npm run bench`: every scenario of the benchmarks issue, licensekit next to the old server's
 * read-modify-write, lowdb and the bare-machine bound. Each family runs each of its sizes in a
 * process of its own (see {@link runIsolated}); the subjects of one size share that process, so
 * their ratios are like for like.
 *   --quick          tiny sizes, every scenario and subject once (CI checks the harness with it)
 *   --json FILE      also write the rows and targets as JSON
 *   --only a,b       run only these families: validate, create, open, audit, webhook
 *   --sizes a,b      license counts instead of the defaults (--records for purchase records)
 *   --subject TEXT   only subjects whose name contains TEXT (to profile one row)
 *   --ms N           length of each timed phase (default 1000)
 *   --profile DIR    write a V8 CPU profile of each timed phase to DIR (read it with profile-summary.ts)
 */
const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};
const quick = args.includes('--quick');
const jsonPath = option('--json');
const families: Record<string, (settings: BenchSettings) => Promise<FamilyResult>> = {
  validate: validateFamily,
  create: createFamily,
  open: openFamily,
  audit: auditFamily,
  webhook: webhookFamily,
};
const profileDir = option('--profile');
if (profileDir) profileInto(profileDir);

// A process that `runIsolated` started: `--child` is followed by the family, its settings and where to
// write what it measured.
const childAt = args.indexOf('--child');
if (childAt !== -1) {
  const [family, settingsJson, resultPath] = args.slice(childAt + 1);
  const result = await families[family!]!(JSON.parse(settingsJson!) as BenchSettings);
  writeFileSync(
    resultPath!,
    JSON.stringify(result, (_key, value) => (nonFinite(value) ? String(value) : value)),
  );
  process.exit(0);
}

const only = option('--only')?.split(',') ?? Object.keys(families);
for (const name of only) if (!(name in families)) throw new Error(`--only: no family "${name}"`);

const numbers = (name: string) => option(name)?.split(',').map(Number);
const settings: BenchSettings = {
  quick,
  sizes: numbers('--sizes') ?? (quick ? [300] : [1_000, 10_000, 100_000]),
  records: numbers('--records') ?? (quick ? [2_000] : [10_000, 100_000, 1_000_000]),
  ms: numbers('--ms')?.[0] ?? (quick ? 60 : 1_000),
  callers: [1, 64],
  subject: option('--subject'),
};

type Axis = 'sizes' | 'records';

/** What each family's sizes are (license counts, record counts or both), and which its targets use. */
const axes: Record<string, { runs: Axis[]; targetsAt: Axis }> = {
  validate: { runs: ['sizes'], targetsAt: 'sizes' },
  create: { runs: ['sizes'], targetsAt: 'sizes' },
  open: { runs: ['sizes', 'records'], targetsAt: 'sizes' },
  audit: { runs: ['records'], targetsAt: 'records' },
  webhook: { runs: ['sizes'], targetsAt: 'sizes' },
};

/** Whether `value` is a number JSON cannot hold (NaN or ±Infinity): a child sends it as a string. */
function nonFinite(value: unknown): boolean {
  return typeof value === 'number' && !Number.isFinite(value);
}

/**
 * Runs `family` with `settings` (one size) in a new process, with this one's Node flags, and returns
 * what it measured. A process of its own per size, because what V8 learned from one size carries
 * over to the next: it decides per allocation site whether to allocate objects straight in the old
 * generation, from how many survived. At 1,000 licenses a validation's new snapshot dies young; at
 * 100,000 it lives on. After the smaller sizes, validation at 100,000 licenses ran about 15% slower
 * than in a fresh process, and as slow as with `--no-allocation-site-pretenuring`; the bound loops
 * too. A server holding 100,000 licenses is like the fresh process.
 */
function runIsolated(family: string, settings: BenchSettings): FamilyResult {
  const dir = mkdtempSync(join(tmpdir(), 'licensekit-bench-run-'));
  try {
    const resultPath = join(dir, 'result.json');
    const script = fileURLToPath(import.meta.url);
    const profile = profileDir === undefined ? [] : ['--profile', profileDir];
    const run = spawnSync(
      process.execPath,
      [...process.execArgv, script, ...profile, '--child', family, JSON.stringify(settings), resultPath],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (run.status !== 0) throw new Error(`bench: ${family} failed (exit ${run.status ?? run.signal})`);
    return JSON.parse(readFileSync(resultPath, 'utf8'), (_key, value) =>
      value === 'NaN' || value === 'Infinity' || value === '-Infinity' ? Number(value) : value,
    ) as FamilyResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bench measures the built package; tsx would map `licensekit` to src/ if run without bench/tsconfig.json. */
const measured = import.meta.resolve('licensekit');
const subjectCode = measured.includes('/dist/')
  ? 'the built package (dist/)'
  : `NOT the built package: ${measured}`;
if (!measured.includes('/dist/')) {
  process.stderr.write(`warning: licensekit resolves to ${measured}; run through \`npm run bench\`\n`);
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  ramGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
  loadAtStart: load(),
  gcExposed: typeof globalThis.gc === 'function',
};
const started = performance.now();
const rows: Row[] = [];
const targets: Target[] = [];
for (const name of only) {
  process.stderr.write(`${name}…\n`);
  const { runs, targetsAt } = axes[name]!;
  for (const axis of runs) {
    for (const value of settings[axis]) {
      const result = runIsolated(name, { ...settings, sizes: [], records: [], [axis]: [value] });
      rows.push(...result.rows);
      // Every target is at the largest size of its axis; the other processes' targets name their own.
      if (axis === targetsAt && value === Math.max(...settings[axis])) targets.push(...result.targets);
    }
  }
}
addRatios(rows);
const loadAtEnd = load();
const minutes = (performance.now() - started) / 60_000;

const unitsOf = (scenario: string) =>
  scenario === statsScenario || scenario === exportScenario
    ? 'records/s'
    : scenario === openScenario || scenario === logScenario
      ? 'opens/s'
      : 'ops/s';
console.log(
  [
    `# licensekit bench${quick ? ' (--quick: harness check, numbers not meaningful)' : ''}`,
    '',
    `${machine.cpu} × ${machine.cores}, ${machine.ramGb} GB RAM, Node ${machine.node}, ${machine.date}`,
    `licensekit measured: ${subjectCode}`,
    `load average (1, 5, 15 min): ${machine.loadAtStart} at start, ${loadAtEnd} at end; ${minutes.toFixed(1)} min`,
    `peak RSS: highest process.memoryUsage.rss() sampled every 50 ms (measured loops yield to the event loop every 10 ms)${
      machine.gcExposed
        ? ', after a gc() before each row'
        : ' (run with --expose-gc to collect before each row)'
    }`,
    '',
    formatRows(rows, unitsOf),
    '',
    '### Targets',
    '',
    formatTargets(rows, targets),
  ].join('\n'),
);
if (jsonPath) {
  const checked = targets.map((target) => ({ ...target, ...checkTarget(rows, target) }));
  const finite = (n: number | undefined) => (n === undefined || Number.isFinite(n) ? n : null);
  const plain = rows.map((row) => ({
    ...row,
    opsPerSec: finite(row.opsPerSec),
    p50Ms: finite(row.p50Ms),
    p99Ms: finite(row.p99Ms),
    peakRssMb: finite(row.peakRssMb),
  }));
  writeFileSync(
    jsonPath,
    `${JSON.stringify({ machine: { ...machine, loadAtEnd, minutes }, settings, rows: plain, targets: checked }, null, 2)}\n`,
  );
}
