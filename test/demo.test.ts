import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

it('the demo tells the whole story and exits 0', () => {
  const root = resolve(import.meta.dirname, '..');
  const output = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
    cwd: root,
    encoding: 'utf8',
  });
  const key = /→ created: ([0-9A-Z-]{35})/.exec(output)?.[1];
  expect(key).toBeDefined();
  expect(output).toContain(`│ ${key}`); // the license email shows the key
  for (const line of [
    '→ duplicate',
    '→ VALID (valid: true)',
    '→ DEVICE_LIMIT_REACHED',
    '→ revoked',
    '→ validate: REVOKED',
    'USD: gross 2999, refunded 2999, net 0',
  ]) {
    expect(output).toContain(line);
  }
});
