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

describe('mistakes on the command line get a message that says what to do', () => {
  it('a value starting with "-" is to be given as --option=VALUE', async () => {
    const run = await runCli(bin, ['license', 'revoke', key, '--reason', '-chargeback', '--data', dir]);
    expect(run).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--reason: a value starting with "-" goes as --reason=VALUE'),
    });
  });

  it('a directory given as --purchases is refused (exit 1), not an unexpected error', async () => {
    const run = await runCli(bin, ['import-legacy', '--purchases', dir, '--dry-run', '--data', dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^licensekit: cannot read --purchases .+EISDIR/);
    expect(run.stderr).not.toContain('unexpected error');
  });
});
