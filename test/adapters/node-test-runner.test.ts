import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { storageConformanceCases } from '../../src/testing.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = 'test/fixtures/conformance-node-test.ts';

/** Runs the conformance fixture under `node --test` with the TAP reporter. */
function runUnderNodeTest(env: Record<string, string> = {}): { status: number | null; output: string } {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  // Set when this process itself runs under `node --test`; it would change the child's output.
  delete childEnv.NODE_TEST_CONTEXT;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', fixture], {
    cwd: root,
    env: childEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

function summary(output: string, field: string): number {
  const match = new RegExp(`^# ${field} (\\d+)$`, 'm').exec(output);
  if (match === null) throw new Error(`no "# ${field}" line in node:test output:\n${output}`);
  return Number(match[1]);
}

const withoutReopen = storageConformanceCases.filter((testCase) => testCase.needsReopen !== true);

describe('the storage conformance suite under node:test', () => {
  it('passes every case that needs no reopen against memory storage', () => {
    const { status, output } = runUnderNodeTest();
    expect(status, output).toBe(0);
    expect(summary(output, 'tests')).toBe(withoutReopen.length);
    expect(summary(output, 'pass')).toBe(withoutReopen.length);
    expect(summary(output, 'fail')).toBe(0);
    expect(summary(output, 'skipped')).toBe(0);
    expect(summary(output, 'suites')).toBe(1);
    const passed = [...output.matchAll(/^ {4}ok \d+ - (.+)$/gm)].map((match) => match[1]);
    expect(passed).toEqual(withoutReopen.map((testCase) => testCase.title));
    expect(output).toContain('ok 1 - storage conformance: memory under node:test');
  });

  it('reports a failing case through node:test', () => {
    const { status, output } = runUnderNodeTest({ LICENSEKIT_CONFORMANCE_FLAW: 'list-ignores-filter' });
    expect(status, output).not.toBe(0);
    // Every case that lists by a filter fails; the rest pass.
    const caught = [
      'list-filters',
      'list-filters-follow-updates',
      'list-returns-every-page',
      'filters-ignore-undefined-fields',
    ];
    expect(summary(output, 'fail')).toBe(caught.length);
    expect(summary(output, 'pass')).toBe(withoutReopen.length - caught.length);
    const failed = [...output.matchAll(/^ {4}not ok \d+ - (.+)$/gm)].map((match) => match[1]);
    expect(failed).toEqual(
      storageConformanceCases
        .filter((testCase) => caught.includes(testCase.id))
        .map((testCase) => testCase.title),
    );
    expect(output).toContain('[list-filters] list({"productId":"app"})');
  });
});
