/**
 * Proves the package works as published: builds `dist/` once with the real tsup config, then
 * consumes it the way users do (ESM import, CommonJS require, bundling for Workers and browsers,
 * TypeScript declarations) through a `node_modules/licensekit` symlink to the repo root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tsupConfig from '../../tsup.config.js';
import { ensureBuilt } from '../helpers/ensure-built.js';

interface ExportConditions {
  types?: string;
  default?: string;
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  exports: Record<string, ExportConditions | string>;
  bin?: Record<string, string>;
  files?: string[];
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
const BUILD_TIMEOUT = 120_000;

/** Child processes run with this process's environment, minus anything that would preload code. */
const childEnv: NodeJS.ProcessEnv = { ...process.env };
delete childEnv.NODE_OPTIONS;

const tempDirs: string[] = [];

/** A fresh directory whose `node_modules/licensekit` is a symlink to the repo, like an installed copy. */
function consumerDir(parent: string, prefix: string): string {
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, prefix));
  tempDirs.push(dir);
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'licensekit'), 'dir');
  return dir;
}

function runNode(cwd: string, file: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [file], {
    cwd,
    env: childEnv,
    encoding: 'utf8',
    timeout: 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** stderr without Node's ExperimentalWarning lines (require(esm) and JSON modules warn on Node 20). */
function unexpectedStderr(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !/ExperimentalWarning/.test(line) && !/^\(Use `node --trace-warnings/.test(line))
    .join('\n')
    .trim();
}

/** tsup's library entries (entry name -> source file): every entry but the `bin` ones. */
function tsupEntries(): Record<string, string> {
  const bins = new Set(Object.values(pkg.bin ?? {}));
  return Object.fromEntries(
    Object.entries(allTsupEntries()).filter(([name]) => !bins.has(`./dist/${name}.js`)),
  );
}

/** tsup's `entry` object: entry name -> source file. */
function allTsupEntries(): Record<string, string> {
  const config: unknown = tsupConfig;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new Error('tsup.config.ts must export a single config object');
  }
  const entry = (config as { entry?: unknown }).entry;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new Error('tsup.config.ts must name its entries: entry: { name: "src/file.ts" }');
  }
  return entry as Record<string, string>;
}

/** The subpath a tsup entry is published under: `index` is the root, any other name is `./name`. */
function subpathOf(entryName: string): string {
  return entryName === 'index' ? '.' : `./${entryName}`;
}

/** Bundles `entry` for a runtime that has no Node built-ins (Workers, browsers). */
async function bundle(entry: string, extra: BuildOptions = {}): Promise<{ text: string; inputs: string[] }> {
  const result = await build({
    entryPoints: [join(root, entry)],
    absWorkingDir: root,
    platform: 'neutral',
    format: 'esm',
    bundle: true,
    write: false,
    metafile: true,
    mainFields: ['module', 'main'],
    logLevel: 'silent',
    ...extra,
  });
  if (!result.outputFiles || !result.metafile) throw new Error(`esbuild returned no output for ${entry}`);
  return {
    text: result.outputFiles.map((file) => file.text).join('\n'),
    inputs: Object.keys(result.metafile.inputs),
  };
}

beforeAll(() => ensureBuilt(), BUILD_TIMEOUT + 10_000);

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('package.json exports and the tsup entries', () => {
  it('declares one export per tsup entry, and nothing else besides package.json', () => {
    const fromTsup = Object.keys(tsupEntries()).map(subpathOf).sort();
    const declared = Object.keys(pkg.exports)
      .filter((subpath) => subpath !== './package.json')
      .sort();
    expect(declared).toEqual(fromTsup);
    expect(pkg.exports['./package.json']).toBe('./package.json');
  });

  it('builds every bin as an executable script', () => {
    const bins = Object.values(pkg.bin ?? {});
    expect(bins).toEqual(['./dist/cli.js']);
    for (const bin of bins) {
      expect(Object.keys(allTsupEntries()).map((name) => `./dist/${name}.js`)).toContain(bin);
      expect(readFileSync(join(root, bin), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    }
  });

  it('points every export at the files tsup emits, and they exist after the build', () => {
    for (const name of Object.keys(tsupEntries())) {
      const target = pkg.exports[subpathOf(name)];
      expect(target, subpathOf(name)).toEqual({ types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` });
      const { types, default: js } = target as Required<ExportConditions>;
      expect(Object.keys(target as object)[0], 'types must come first').toBe('types');
      expect(existsSync(join(root, types)), types).toBe(true);
      expect(existsSync(join(root, js)), js).toBe(true);
    }
  });

  it('packs only dist and the docs, including every export target', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      env: childEnv,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    const [packed] = JSON.parse(out) as [{ files: { path: string }[] }];
    const paths = packed.files.map((file) => file.path);
    const docs = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'];
    expect(paths.filter((path) => !path.startsWith('dist/') && !docs.includes(path))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(docs));
    for (const target of Object.values(pkg.exports)) {
      const files = typeof target === 'string' ? [target] : Object.values(target);
      for (const file of files) expect(paths).toContain(file.replace(/^\.\//, ''));
    }
  });
});

describe('Node consumers', () => {
  it('imports all three entries and package.json from ESM', () => {
    const dir = consumerDir(tmpdir(), 'licensekit-esm-');
    copyFileSync(join(fixtures, 'consumer.mjs'), join(dir, 'consumer.mjs'));
    const { status, stdout, stderr } = runNode(dir, 'consumer.mjs');
    expect(unexpectedStderr(stderr)).toBe('');
    expect(status).toBe(0);
    expect(stdout).toBe(
      `${JSON.stringify({
        memoryStorage: 'function',
        LicenseKitError: 'function',
        isLicenseKitError: 'function',
        parseLicense: 'function',
        fileStorage: 'function',
        jsonFileLicenseStore: 'function',
        jsonlLicenseStore: 'function',
        jsonlPurchaseLog: 'function',
        runStorageConformance: 'function',
        licenseFixture: 'function',
        errorGuard: true,
        errorIsError: true,
        packageName: pkg.name,
        packageVersion: pkg.version,
      })}\n`,
    );
  });

  it('require()s all three entries from CommonJS and gets working memory and file storage', () => {
    const dir = consumerDir(tmpdir(), 'licensekit-cjs-');
    copyFileSync(join(fixtures, 'consumer.cjs'), join(dir, 'consumer.cjs'));
    const { status, stdout, stderr } = runNode(dir, 'consumer.cjs');
    expect(unexpectedStderr(stderr)).toBe('');
    expect(status).toBe(0);
    expect(stdout).toBe(
      `${JSON.stringify({
        memoryStorage: 'function',
        isLicenseKitError: 'function',
        packageName: pkg.name,
        memory: {
          created: true,
          replayCreated: false,
          replayKey: 'LK-CJS-0001',
          roundTrip: true,
          devices: ['hw-1'],
          duplicateKey: 'INVALID_INPUT',
          listed: ['LK-CJS-0001'],
          afterClose: 'STORAGE_CLOSED',
        },
        files: { created: true, reopened: true },
        sameInstanceAsImport: true,
      })}\n`,
    );
  });

  it('runs the storage conformance suite from licensekit/testing under node:test', () => {
    const dir = consumerDir(tmpdir(), 'licensekit-node-test-');
    copyFileSync(join(fixtures, 'node-test-conformance.mjs'), join(dir, 'conformance.mjs'));
    const result = spawnSync(process.execPath, ['--test', '--test-reporter=tap', 'conformance.mjs'], {
      cwd: dir,
      env: childEnv,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^# pass [1-9]\d*$/m);
    expect(result.stdout).toMatch(/^# fail 0$/m);
  });
});

describe('entries that must run anywhere (Workers, browsers)', () => {
  const targets: [string, BuildOptions][] = [
    ['neutral', {}],
    ['workerd', { conditions: ['workerd', 'worker', 'browser'] }],
  ];
  const entries = ['dist/index.js', 'src/index.ts', 'dist/testing.js'];

  it.each(entries.flatMap((entry) => targets.map(([target, options]) => [entry, target, options] as const)))(
    '%s bundles for %s with no node: imports and no require()',
    async (entry, _target, options) => {
      const { text, inputs } = await bundle(entry, options);
      expect(inputs.filter((input) => input.startsWith('node:'))).toEqual([]);
      expect(text).not.toMatch(/["'`]node:/);
      expect(text).not.toMatch(/\brequire\(/);
    },
  );

  it.each(entries)('%s uses no Node globals in its own code', async (entry) => {
    const { text } = await bundle(entry, {
      external: Object.keys(pkg.dependencies ?? {}),
      minifyWhitespace: true,
    });
    expect(text).not.toMatch(/(?<![\w$.])(?:process|Buffer)\s*[.[]/);
    expect(text).not.toMatch(/\b(?:__dirname|__filename)\b/);
  });
});

/** Runs the repo's TypeScript compiler in `cwd`; returns its combined output and exit status. */
function runTsc(cwd: string, args: string[]): { status: number | null; output: string } {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, ...args], {
    cwd,
    env: childEnv,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

describe('TypeScript declarations', () => {
  /** Under the repo (gitignored `.tmp/`), so the compiler finds `@types/node` the way a Node project would. */
  let dir: string;

  beforeAll(() => {
    dir = consumerDir(join(root, '.tmp'), 'package-types-');
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ private: true, type: 'module' })}\n`);
    writeFileSync(join(dir, 'consumer.mts'), ESM_TYPES_CONSUMER);
    writeFileSync(join(dir, 'consumer.cts'), CJS_TYPES_CONSUMER);
    writeFileSync(join(dir, 'web.mts'), WEB_TYPES_CONSUMER);
    writeFileSync(
      join(dir, 'tsconfig.web.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          module: 'preserve',
          moduleResolution: 'bundler',
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          types: [],
        },
        files: ['web.mts'],
      }),
    );
  });

  it('compile standalone for ESM and CommonJS Node consumers (strict, nodenext, skipLibCheck false, no DOM lib)', () => {
    const { status, output } = runTsc(dir, [
      '--noEmit',
      '--target',
      'es2022',
      '--lib',
      'es2023',
      '--types',
      'node',
      '--strict',
      '--exactOptionalPropertyTypes',
      '--noUncheckedIndexedAccess',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--skipLibCheck',
      'false',
      'consumer.mts',
      'consumer.cts',
    ]);
    expect(output).toBe('');
    expect(status).toBe(0);
  }, 130_000);

  it('of licensekit and licensekit/testing compile for a bundler consumer without @types/node', () => {
    const { status, output } = runTsc(dir, ['-p', 'tsconfig.web.json']);
    expect(output).toBe('');
    expect(status).toBe(0);
  }, 130_000);
});

const ESM_TYPES_CONSUMER = `
import {
  isLicenseKitError,
  type License,
  LicenseKitError,
  type LicenseKitErrorCode,
  type LicenseStore,
  memoryStorage,
  type PurchaseLog,
  type Storage,
} from 'licensekit';
import { type FileStorageOptions, fileStorage, jsonFileLicenseStore, jsonlLicenseStore, jsonlPurchaseLog } from 'licensekit/node';
import { licenseFixture, runStorageConformance, type StorageConformanceOptions } from 'licensekit/testing';
import pkg from 'licensekit/package.json' with { type: 'json' };

const storage: Storage = memoryStorage();
const licenses: LicenseStore = storage.licenses;
const purchases: PurchaseLog = storage.purchases;
const code: LicenseKitErrorCode = 'INVALID_INPUT';

export async function keyOf(key: string): Promise<string | null> {
  const license: License | null = await licenses.get(key);
  return license?.key ?? null;
}

export function codeOf(error: unknown): LicenseKitErrorCode | null {
  if (isLicenseKitError(error, code)) return error.code;
  return error instanceof LicenseKitError ? error.code : null;
}

const fileOptions: FileStorageOptions = { dir: './data' };
export const onDisk: Storage = fileStorage(fileOptions);
export const separate: Storage = {
  licenses: Math.random() > 0.5 ? jsonFileLicenseStore({ path: 'licenses.json' }) : jsonlLicenseStore({ path: 'licenses.jsonl' }),
  purchases: jsonlPurchaseLog({ path: 'purchases.jsonl' }),
};
export const fixture: License = licenseFixture({ productId: 'app' });
const conformance: StorageConformanceOptions = { name: 'memory', createStorage: () => memoryStorage() };
export const run = (describe: (name: string, body: () => void) => void, it: (name: string, body: () => Promise<void>) => void) =>
  runStorageConformance({ describe, it }, conformance);
export const closeAll = (): Promise<void[]> => Promise.all([licenses.close(), purchases.close()]);
export const packageName: string = pkg.name;
`;

const CJS_TYPES_CONSUMER = `
import lk = require('licensekit');
import node = require('licensekit/node');
import type { License, Storage } from 'licensekit';

const storage: Storage = lk.memoryStorage();
export const onDisk: Storage = node.fileStorage({ dir: './data' });

export async function keyOf(key: string): Promise<string | null> {
  const license: License | null = await storage.licenses.get(key);
  return license?.key ?? null;
}

export const isInvalid = (error: unknown): boolean => lk.isLicenseKitError(error, 'INVALID_INPUT');
`;

/** Workers and browser code: only the entries that run anywhere, and no Node types in scope. */
const WEB_TYPES_CONSUMER = `
import { isLicenseKitError, type License, memoryStorage, type Storage } from 'licensekit';
import { licenseFixture, runStorageConformance } from 'licensekit/testing';

const storage: Storage = memoryStorage();
export const fixture: License = licenseFixture();
export const insert = () => storage.licenses.insert(fixture);
export const isClosed = (error: unknown): boolean => isLicenseKitError(error, 'STORAGE_CLOSED');
export const conformance = typeof runStorageConformance;
`;
