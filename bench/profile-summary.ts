import { readFileSync } from 'node:fs';

/**
 * Prints the functions with the most self time in a V8 CPU profile (from `node --cpu-prof`, or from
 * `bench/run.ts --profile DIR`, which profiles only the timed phases):
 *   npm run bench -- --only webhook --sizes 100000 --subject memoryStorage --profile prof
 *   node --import tsx bench/profile-summary.ts prof/<file>.cpuprofile [top=25] [filter]
 * `filter` keeps only samples whose stack contains a frame whose function name or url contains it
 * (e.g. `validate`), to look at one scenario's share of a profile.
 */
interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [path, topArg, filter] = process.argv.slice(2);
if (!path) {
  console.error('usage: profile-summary <file.cpuprofile> [top] [filter]');
  process.exit(1);
}
const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const frameName = ({ functionName, url, lineNumber }: CallFrame) =>
  `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|dist|src|bench)\//, '$1/')}:${lineNumber + 1}`;

/** A native frame (no url) is named with its caller, e.g. `run ← randomFillSync`: alone it says little. */
function nodeName(id: number): string {
  const { callFrame } = byId.get(id)!;
  const caller = parent.get(id);
  if (callFrame.url !== '' || callFrame.functionName.startsWith('(') || caller === undefined) {
    return frameName(callFrame);
  }
  return `${callFrame.functionName} ← ${frameName(byId.get(caller)!.callFrame)}`;
}

/** Whether the stack of `id` contains a frame matching `test`. */
function stackHas(id: number, test: (frame: CallFrame) => boolean, memo: Map<number, boolean>): boolean {
  const known = memo.get(id);
  if (known !== undefined) return known;
  const parentId = parent.get(id);
  const result = test(byId.get(id)!.callFrame) || (parentId !== undefined && stackHas(parentId, test, memo));
  memo.set(id, result);
  return result;
}

const inFilter = new Map<number, boolean>();
const inProfiler = new Map<number, boolean>();
/** Samples of the profiler stopping itself (`node:inspector`) are left out; `filter` narrows the rest. */
const matches = (id: number) =>
  !stackHas(id, (frame) => frame.url === 'node:inspector', inProfiler) &&
  (!filter ||
    stackHas(id, (frame) => frame.functionName.includes(filter) || frame.url.includes(filter), inFilter));

const selfTime = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  if (!matches(id)) return;
  const micros = profile.timeDeltas[i] ?? 0;
  const name = nodeName(id);
  selfTime.set(name, (selfTime.get(name) ?? 0) + micros);
  total += micros;
});

const top = Number(topArg ?? 25);
console.log(`| self time | share | function |`);
console.log(`| ---: | ---: | --- |`);
for (const [name, micros] of [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`| ${(micros / 1000).toFixed(0)} ms | ${((100 * micros) / total).toFixed(1)}% | \`${name}\` |`);
}
console.log(`\n${(total / 1000).toFixed(0)} ms sampled${filter ? ` in stacks containing "${filter}"` : ''}`);
