/**
 * The options every command takes (`--data DIR`, `--json`) may come before the command's name, and
 * before `license`'s action too.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TempDirs } from '../helpers/temp-dir.js';
import { buildCli, removeBuild, runCli, seedShop } from './helpers.js';

const temp = new TempDirs();
let bin: string;
let outDir: string;
let dir: string;
let key: string;

beforeAll(async () => {
  ({ bin, outDir } = await buildCli());
  dir = join(await temp.make('cli-global-options'));
  const keys = await seedShop(dir);
  key = keys['g-1']!;
}, 120_000);

afterAll(async () => {
  await temp.removeAll();
  await removeBuild(outDir);
});

describe('licensekit license with options before the action', () => {
  it('--data DIR before the command name works for license as for stats', async () => {
    const stats = await runCli(bin, ['--data', dir, 'stats', '--json']);
    expect(stats.code, stats.stderr).toBe(0);
    const show = await runCli(bin, ['--data', dir, 'license', 'show', key, '--json']);
    expect(show.stderr).toBe('');
    expect(show.code).toBe(0);
  });

  it('--json between license and its action works', async () => {
    const show = await runCli(bin, ['license', '--json', 'show', key, '--data', dir]);
    expect(show.stderr).toBe('');
    expect(show.code).toBe(0);
  });
});
