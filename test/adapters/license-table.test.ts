import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LicenseTable } from '../../src/adapters/_license-table.js';
import type { License } from '../../src/domain/license.js';
import { licenseFixture } from '../../src/testing/fixtures.js';

type Op =
  | { kind: 'put'; key: string; source: string; sale: string }
  | { kind: 'lookup'; source: string; sale: string };

// Few keys (in both cases) and sales, so puts replace licenses and two keys may claim one sale.
const key = fc.constantFrom('LK-A', 'lk-a', 'LK-B', 'lk-b', 'LK-C');
const source = fc.constantFrom('gumroad', 'stripe');
const sale = fc.constantFrom('s1', 's2', 's3');
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('put'), key, source, sale }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('lookup'), source, sale }) },
);

describe('LicenseTable', () => {
  it('finds licenses by sale as an index kept up on every put would, whenever it is built', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const table = new LicenseTable();
        // The model: both indexes updated on every put; a replaced license keeps its sale's entry.
        const byKey = new Map<string, License>();
        const byPurchase = new Map<string, string>();
        for (const step of ops) {
          if (step.kind === 'put') {
            // Stores never change a license's sale (see applyMutation): a replacement keeps it.
            const index = step.key.toUpperCase();
            const { purchaseSource, purchaseId } = byKey.get(index) ?? {
              purchaseSource: step.source,
              purchaseId: step.sale,
            };
            const license = licenseFixture({ key: step.key, purchaseSource, purchaseId });
            table.put(license);
            if (!byKey.has(index)) byPurchase.set(`${license.purchaseSource}/${license.purchaseId}`, index);
            byKey.set(index, license);
          } else {
            const index = byPurchase.get(`${step.source}/${step.sale}`);
            const expected = index === undefined ? null : (byKey.get(index) ?? null);
            expect(table.getByPurchase(step.source, step.sale)).toBe(expected);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('filter() yields each license once while licenses are replaced under it', () => {
    const table = new LicenseTable();
    const [a, b, c] = [licenseFixture(), licenseFixture(), licenseFixture()];
    for (const license of [a, b, c]) table.put(license);
    const seen: License[] = [];
    for (const license of table.filter()) {
      seen.push(license);
      if (seen.length === 1) table.put({ ...a, maxDevices: 5 }); // replaced in place: not yielded again
      if (seen.length === 2) table.put({ ...b, maxDevices: 5 });
    }
    expect(seen.map((license) => license.key)).toEqual([a.key, b.key, c.key]);
    expect(table.size).toBe(3);
  });
});
