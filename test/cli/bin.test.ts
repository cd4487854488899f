/** The built bin: its shebang, its place in package.json, help, version and usage errors. */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tsupConfig from '../../tsup.config.js';
import { buildCli, childEnv, removeBuild, repoRoot, runCli } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
  bin?: Record<string, string>;
};
const commands = ['stats', 'purchases', 'export-csv', 'license', 'validate', 'import-legacy', 'demo'];

let bin: string;
let outDir: string;

beforeAll(async () => {
  ({ bin, outDir } = await buildCli());
});

afterAll(() => removeBuild(outDir));

describe('the licensekit bin', () => {
  it('is dist/cli.js, built from the cli entry of the tsup config', () => {
    expect(pkg.bin).toEqual({ licensekit: './dist/cli.js' });
    expect((tsupConfig as { entry: Record<string, string> }).entry.cli).toBe('src/cli/main.ts');
  });

  it('starts with a node shebang, only the bin, and is executable', () => {
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    accessSync(bin, constants.X_OK);
    for (const entry of ['index.js', 'node.js', 'testing.js']) {
      expect(readFileSync(join(outDir, entry), 'utf8').startsWith('#!')).toBe(false);
    }
  });

  it('runs through its shebang', async () => {
    const { stdout } = await promisify(execFile)(bin, ['--help'], { env: childEnv() });
    expect(stdout).toMatch(/^Usage: licensekit <command>/);
    for (const command of commands) expect(stdout).toContain(`  ${command}`);
  });

  it('prints the package version', async () => {
    const run = await runCli(bin, ['--version']);
    expect(run).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it.each(commands)('%s --help explains the command with an example and exits 0', async (command) => {
    const run = await runCli(bin, [command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: licensekit /);
    expect(run.stdout).toMatch(/\nExamples?:\n {2}licensekit /);
    expect(run.stderr).toBe('');
  });

  it('answers usage errors with one line on stderr and exit 2', async () => {
    for (const args of [
      ['frobnicate'],
      ['stats', '--by', 'year'],
      ['stats', '--since', 'yesterday'],
      ['stats', '--bogus'],
      ['stats', 'extra'],
      ['purchases', '--type', 'gift'],
      ['export-csv'],
      ['export-csv', 'out.csv', '--columns', 'email,nope'],
      ['license'],
      ['license', 'burn', 'KEY'],
      ['license', 'show'],
      ['license', 'extend', 'KEY'],
      ['license', 'extend', 'KEY', '--days', '0'],
      ['license', 'deactivate', 'KEY'],
      ['validate'],
      ['import-legacy'],
      ['--since', '2025'],
      ['--data'],
    ]) {
      const run = await runCli(bin, args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stdout).toBe('');
      expect(run.stderr.trimEnd().split('\n'), run.stderr).toHaveLength(1);
      expect(run.stderr).toMatch(/^licensekit: .*\(see licensekit .*--help\)\n$/);
    }
  });

  it('refuses a data directory that does not exist (exit 1), naming it and how to fix it', async () => {
    const run = await runCli(bin, ['stats', '--data', join(outDir, 'no-such-dir')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `licensekit: no data directory at ${join(outDir, 'no-such-dir')} (pass --data DIR or set LICENSEKIT_DATA)\n`,
    );
  });

  it('demo runs the demo story from the built package', async () => {
    const run = await runCli(bin, ['demo']);
    expect(run.code).toBe(0);
    const key = /→ created: ([0-9A-Z-]{35})/.exec(run.stdout)?.[1];
    expect(run.stdout).toContain(`│ ${key}`); // the license email, printed by the console mailer
    for (const line of ['→ duplicate', '→ DEVICE_LIMIT_REACHED', '→ validate: REVOKED']) {
      expect(run.stdout).toContain(line);
    }
  });

  it('demo takes --data like every command, before or after its name, and leaves it alone', async () => {
    const data = join(outDir, 'demo-data');
    for (const args of [
      ['--data', data, 'demo'],
      ['demo', '--data', data],
    ]) {
      const run = await runCli(bin, args);
      expect([run.code, run.stderr]).toEqual([0, '']);
      expect(run.stdout).toContain('→ validate: REVOKED');
    }
    expect(existsSync(data)).toBe(false);
  });

  it('prints a stack trace only with --debug', async () => {
    const missing = join(outDir, 'nowhere');
    const quiet = await runCli(bin, ['license', 'show', 'K', '--data', missing]);
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    const loud = await runCli(bin, ['license', 'show', 'K', '--data', missing, '--debug']);
    expect(loud.code).toBe(1);
    expect(loud.stderr).toMatch(/\n\s+at /);
  });
});
