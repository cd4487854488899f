/** Both examples type-check against the BUILT package (dist/*.d.ts), as users compile them. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { childEnv, ensureBuilt, root } from '../helpers/ensure-built.js';

beforeAll(ensureBuilt, 200_000);

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

it.each(['examples/tsconfig.json', 'examples/cloudflare-workers/tsconfig.json'])(
  'tsc -p %s finds no error, with licensekit from dist/',
  (project) => {
    // Throws (showing tsc's errors) on a type error; else lists the files the program used.
    const files = execFileSync(process.execPath, [tsc, '-p', project, '--listFiles'], {
      cwd: root,
      env: childEnv,
      encoding: 'utf8',
      timeout: 120_000,
    }).split('\n');
    expect(files).toContain(join(root, 'dist/index.d.ts'));
    expect(files.filter((file) => file.startsWith(join(root, 'src')))).toEqual([]);
  },
);
