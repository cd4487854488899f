/**
 * The kill -9 loop of `test/reliability/kill-9.test.ts`, for as long as you like:
 *
 *   node --import tsx scripts/crash-loop.ts [--rounds 1000] [--layout fileStorage|jsonl|both] [--keep]
 *
 * With `both` (the default) the rounds alternate between the layouts. Prints one line per 50 rounds
 * and a summary per layout; exits with 1 if any round found a problem. `--keep` keeps the data dirs.
 */
import { parseArgs } from 'node:util';
import { type CrashLoop, crashRound, createCrashLoop } from '../test/helpers/crash-round.js';
import { type Layout, layouts, parseLayout } from '../test/helpers/storage.js';
import { makeTempDir, removeTempDir } from '../test/helpers/temp-dir.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '1000' },
    layout: { type: 'string', default: 'both' },
    keep: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
if (!Number.isSafeInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer`);
const chosen: readonly Layout[] = values.layout === 'both' ? layouts : [parseLayout(values.layout)];

const loops: CrashLoop[] = [];
for (const layout of chosen) loops.push(createCrashLoop(layout, await makeTempDir(`crash-${layout}`)));

const started = Date.now();
for (let i = 0; i < rounds; i++) {
  const loop = loops[i % loops.length]!;
  const result = await crashRound(loop);
  for (const problem of result.problems) console.log(`[${loop.layout} round ${result.round}] ${problem}`);
  if ((i + 1) % 50 === 0) {
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    console.log(`${i + 1}/${rounds} rounds, ${seconds} s`);
  }
}

let failed = false;
for (const { layout, dir, acked, totals } of loops) {
  failed ||= totals.failedRounds > 0;
  console.log(
    [
      `${layout} (${dir}): ${totals.rounds} rounds`,
      `  ACKed by children: ${totals.childAcks} (checked with the parent's own writes: ${acked.size})`,
      `  present: ${acked.size - totals.missing} + ${totals.unackedPresent} written but never ACKed`,
      `  missing: ${totals.missing}`,
      `  duplicates: ${totals.duplicates}`,
      `  torn tails seen after a kill: ${totals.tornTailsSeen}, repaired (cut into .torn-*): ${totals.tornTailsRepaired}`,
      ...(layout === 'fileStorage'
        ? [
            `  licenses given their created record on open (killed between the two writes): ${totals.reconciled}`,
          ]
        : []),
      `  rounds with problems: ${totals.failedRounds}`,
    ].join('\n'),
  );
  if (!values.keep) await removeTempDir(dir);
}
console.log(failed ? 'FAILED' : 'OK');
process.exitCode = failed ? 1 : 0;
