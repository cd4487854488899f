/**
 * Tests that use the built package (the package checks, the examples, which import `licensekit` by
 * name through the package's self-reference to `dist/`) call this first. `ensureBuilt()` runs the real build (`npx --no tsup`) when `dist/` is
 * missing or older than `src/`, holding a lock so parallel test files build once.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** Child processes get this environment: this one's, minus anything that would preload code. */
export const childEnv: NodeJS.ProcessEnv = { ...process.env };
delete childEnv.NODE_OPTIONS;

const lock = join(root, 'node_modules', '.cache', 'licensekit-examples-build.lock');
const outputs = [
  ...['index', 'node', 'testing'].flatMap((name) => [`dist/${name}.js`, `dist/${name}.d.ts`]),
  'dist/cli.js',
];

/** Builds `dist/` unless it is complete and newer than every file in `src/`. */
export function ensureBuilt(): void {
  if (isFresh()) return;
  mkdirSync(join(lock, '..'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (since !== undefined && Date.now() - since > 180_000) rmSync(lock, { force: true, recursive: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    }
  }
  try {
    if (!isFresh())
      execFileSync('npx', ['--no', 'tsup'], { cwd: root, env: childEnv, stdio: 'pipe', timeout: 170_000 });
  } finally {
    rmSync(lock, { force: true, recursive: true });
  }
}

function isFresh(): boolean {
  const built = outputs.map((file) => join(root, file));
  if (!built.every((file) => existsSync(file))) return false;
  const oldest = Math.min(...built.map((file) => statSync(file).mtimeMs));
  return Math.max(newest(join(root, 'src')), statSync(join(root, 'tsup.config.ts')).mtimeMs) <= oldest;
}

function newest(dir: string): number {
  let time = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    time = Math.max(time, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return time;
}
