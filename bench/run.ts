import { cpus } from 'node:os';
import { table } from './_harness.js';
import { auditBenchmarks } from './audit.bench.js';
import { validateBenchmarks } from './manager.bench.js';
import { storageBenchmarks } from './storage.bench.js';

/**
 * `npm run bench` measures every scenario as a ratio to a baseline run in the same process.
 * `--quick` runs tiny sizes only, to check that the harness works (CI does this).
 */
const quick = process.argv.includes('--quick');
const licenses = quick ? 1_000 : 100_000;
const ms = quick ? 200 : 3_000;

const records = quick ? 10_000 : 1_000_000;

const rows = [
  ...(await storageBenchmarks({ licenses, ms })),
  ...(await validateBenchmarks({ licenses, ms })),
  ...(await auditBenchmarks({ records })),
];
console.log(
  `licensekit bench${quick ? ' (quick)' : ''}: Node ${process.version}, ${cpus()[0]?.model} × ${cpus().length}`,
);
console.log(table(rows));
