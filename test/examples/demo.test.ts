/** `npm run demo` (examples/express/demo.ts) tells the whole story over real HTTP and exits 0. */
import { execFileSync } from 'node:child_process';
import { beforeAll, expect, it } from 'vitest';
import { childEnv, ensureBuilt, root } from '../helpers/ensure-built.js';

beforeAll(ensureBuilt, 200_000);

it('npm run demo: a Gumroad sale and a Stripe checkout become licenses, a refund revokes one', () => {
  const output = execFileSync(process.execPath, ['--import', 'tsx', 'examples/express/demo.ts'], {
    cwd: root,
    env: childEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const keys = [...output.matchAll(/→ 200 created ([0-9A-Z]{5}(?:-[0-9A-Z]{5}){5})/g)].map(
    (match) => match[1]!,
  );
  expect(keys).toHaveLength(2); // one from Gumroad, one from Stripe
  const [ada, grace] = keys as [string, string];
  for (const key of keys) expect(output).toContain(`│ ${key}`); // each license email shows its key
  expect(output).toContain('│ To:       ada@example.com');
  expect(output).toContain('│ To:       grace@example.com');
  const story = [
    `→ 200 duplicate ${ada}`,
    '→ 401 unauthorized',
    '→ 200 VALID (valid: true): 1 of 1 seats in use',
    '→ 200 DEVICE_LIMIT_REACHED (valid: false)',
    '→ 200, 0 of 1 seats in use',
    `→ 200 revoked ${ada}`,
    '→ 200 REVOKED (valid: false)',
    '│ gumroad  │     1 │ USD 0.00   │',
    '│ stripe   │     1 │ USD 10.00  │',
    '│ total    │     2 │ USD 10.00  │',
    'gross USD 39.99 − refunded USD 29.99 (1 refund) = net USD 10.00',
  ];
  let at = 0;
  for (const line of story) {
    const found = output.indexOf(line, at);
    expect(found, `"${line}" after position ${at}`).toBeGreaterThan(-1);
    at = found;
  }
  expect(output.indexOf(`created ${grace}`)).toBeLessThan(output.indexOf('→ 401 unauthorized'));
  expect(output.match(/│ To: {7}ada@example.com/g)).toHaveLength(1); // the retried ping sent no second email
});
