import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
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
 * read-modify-write, lowdb and the bare-machine bound, measured in this one process.
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
const only = option('--only')?.split(',') ?? Object.keys(families);
for (const name of only) if (!(name in families)) throw new Error(`--only: no family "${name}"`);
const profileDir = option('--profile');
if (profileDir) profileInto(profileDir);

const numbers = (name: string) => option(name)?.split(',').map(Number);
const settings: BenchSettings = {
  quick,
  sizes: numbers('--sizes') ?? (quick ? [300] : [1_000, 10_000, 100_000]),
  records: numbers('--records') ?? (quick ? [2_000] : [10_000, 100_000, 1_000_000]),
  ms: numbers('--ms')?.[0] ?? (quick ? 60 : 1_000),
  callers: [1, 64],
  subject: option('--subject'),
};

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
  const result = await families[name]!(settings);
  rows.push(...result.rows);
  targets.push(...result.targets);
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
