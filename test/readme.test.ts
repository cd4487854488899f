import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Every README block marked ```ts run is run as written (with `licensekit` imports pointed at the
 * sources), and each `console.log(…); // expected` line must print exactly the expected text.
 */
const root = resolve(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const snippets = [...readme.matchAll(/```ts run\n([\s\S]*?)```/g)].map((match) => match[1]!);
const entries: Record<string, string> = {
  'licensekit/node': 'src/node.ts',
  'licensekit/testing': 'src/testing.ts',
  licensekit: 'src/index.ts',
};

describe('README snippets', () => {
  it('has runnable snippets', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(3);
  });

  it.each(snippets.map((code, i) => [i + 1, code] as const))(
    'snippet %i runs and prints what it says',
    (_, code) => {
      mkdirSync(join(root, '.tmp'), { recursive: true });
      const cwd = mkdtempSync(join(root, '.tmp', 'readme-'));
      try {
        const source = code.replace(
          /from '(licensekit(?:\/node|\/testing)?)'/g,
          (_match, name: string) => `from '${join(root, entries[name]!)}'`,
        );
        writeFileSync(join(cwd, 'snippet.ts'), source);
        const output = execFileSync(process.execPath, ['--import', 'tsx', 'snippet.ts'], {
          cwd,
          encoding: 'utf8',
        });
        const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((match) => match[1]!);
        const printed = output.split('\n');
        let at = 0;
        for (const line of expected) {
          const found = printed.indexOf(line, at);
          expect(found, `expected the snippet to print "${line}"\n${output}`).toBeGreaterThanOrEqual(0);
          at = found + 1;
        }
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    },
  );
});
