/**
 * Progress lines go to stderr only when stderr is a terminal. The piped case is covered by every
 * other CLI test (their stderr is empty); here the bin runs inside a real pseudo-terminal made by
 * `script` (util-linux on Linux, BSD `script` on macOS).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TempDirs } from '../helpers/temp-dir.js';
import { buildCli, childEnv, removeBuild, seedShop } from './helpers.js';

const legacy = fileURLToPath(new URL('./fixtures/legacy/', import.meta.url));
/** What a progress line ends with: carriage return, erase to the end of the line. */
const clearLine = '\r\u001b[K';
const temp = new TempDirs();
let bin: string;
let outDir: string;
let dir: string;

beforeAll(async () => {
  ({ bin, outDir } = await buildCli());
  dir = await temp.make('cli-tty');
  await seedShop(dir);
});

afterAll(async () => {
  await temp.removeAll();
  await removeBuild(outDir);
});

/** Runs the bin with stdin, stdout and stderr on a pseudo-terminal; returns what the terminal showed. */
function inTerminal(args: readonly string[]): { status: number | null; screen: string } {
  const command = [process.execPath, bin, ...args];
  const quoted = command.map((part) => `'${part.replaceAll("'", `'\\''`)}'`).join(' ');
  const result =
    process.platform === 'darwin'
      ? spawnSync('script', ['-q', '/dev/null', ...command], { env: childEnv(), encoding: 'utf8' })
      : spawnSync('script', ['-qec', quoted, '/dev/null'], { env: childEnv(), encoding: 'utf8' });
  if (result.error) throw new Error(`script(1) is needed to make a terminal: ${result.error.message}`);
  return { status: result.status, screen: result.stdout };
}

it('export-csv shows progress on a terminal, then clears it', () => {
  const file = join(dir, 'tty.csv');
  const { status, screen } = inTerminal(['export-csv', file, '--data', dir]);
  expect(status).toBe(0);
  expect(screen).toMatch(/\rexporting… \d+ rows?/);
  expect(screen).toContain(`${clearLine}Wrote `); // the progress line is gone before the result

  expect(existsSync(file)).toBe(true);
  expect(readFileSync(file, 'utf8')).toMatch(/^recordedAt,kind,event,/);
});

it('import-legacy shows progress on a terminal', () => {
  const target = join(dir, 'imported');
  const { status, screen } = inTerminal([
    'import-legacy',
    '--licenses',
    join(legacy, 'licenses.json'),
    '--purchases',
    join(legacy, 'purchases.jsonl'),
    '--allow-skips',
    '--data',
    target,
  ]);
  expect(status).toBe(0);
  expect(screen).toMatch(/\rimporting… licenses \d+\/9/);
  expect(screen).toContain(clearLine);
  expect(screen).toContain('Licenses   9 in the file: 7 imported');
});
