import { describe, expect, it } from 'vitest';
import { isLicenseKitError, memoryStorage, PurchaseAuditLog } from '../../src/index.js';
import { purchaseRecordFixture } from '../../src/testing.js';

async function auditWith(records: ReturnType<typeof purchaseRecordFixture>[]) {
  const storage = memoryStorage();
  for (const record of records) await storage.purchases.append(record);
  return new PurchaseAuditLog({ storage });
}

const isInvalidInput = (error: unknown) => isLicenseKitError(error, 'INVALID_INPUT');

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('since/until that match the timestamp pattern but name no real moment', () => {
  // Each passes `isoTimestamp`'s regex; Date.parse gives NaN (month 13, second 60) or rolls over
  // (Feb 30 → Mar 2, 24:00 → the next day).
  const impossible = [
    '2025-13-01T00:00:00Z',
    '2025-01-01T00:00:60Z',
    '2025-02-30T00:00:00Z',
    '2025-02-28T24:00:00Z',
  ];

  it('query() and exportCsv() refuse them with INVALID_INPUT (not a RangeError, not a silent roll-over)', async () => {
    const audit = await auditWith([purchaseRecordFixture({ recordedAt: '2025-03-01T00:00:00.000Z' })]);
    for (const bound of impossible) {
      for (const key of ['since', 'until'] as const) {
        expect(() => audit.query({ [key]: bound }), `query ${key} ${bound}`).toThrow(
          expect.toSatisfy(isInvalidInput),
        );
        expect(() => audit.exportCsv({ [key]: bound }), `exportCsv ${key} ${bound}`).toThrow(
          expect.toSatisfy(isInvalidInput),
        );
      }
    }
  });

  it('getPurchaseStats() refuses them with INVALID_INPUT instead of answering for another window', async () => {
    // A sale on March 1st: `until: Feb 30` currently counts it (read as March 2), `since: month 13`
    // answers all zeros.
    const audit = await auditWith([
      purchaseRecordFixture({ event: { occurredAt: '2025-03-01T00:00:00.000Z' } }),
    ]);
    for (const bound of impossible) {
      for (const key of ['since', 'until'] as const) {
        await expect(audit.getPurchaseStats({ [key]: bound }), `${key} ${bound}`).rejects.toSatisfy(
          isInvalidInput,
        );
      }
    }
  });
});

describe('a rolled-over bound answers for another window', () => {
  it('until 2025-02-30 counts and lists a March 1st record (read as March 2nd)', async () => {
    const audit = await auditWith([
      purchaseRecordFixture({
        recordedAt: '2025-03-01T00:00:00.000Z',
        event: { occurredAt: '2025-03-01T00:00:00.000Z' },
      }),
    ]);
    const until = '2025-02-30T00:00:00Z';
    let listed: unknown[] | undefined;
    try {
      listed = await collect(audit.query({ until }));
    } catch (error) {
      expect(isInvalidInput(error)).toBe(true);
    }
    expect(listed ?? []).toEqual([]);
    const stats = await audit.getPurchaseStats({ until }).catch((error) => {
      expect(isInvalidInput(error)).toBe(true);
      return null;
    });
    expect(stats?.totalPurchases ?? 0).toBe(0);
  });
});
