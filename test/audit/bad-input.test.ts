import { describe, expect, it } from 'vitest';
import { isLicenseKitError, memoryStorage, PurchaseAuditLog } from '../../src/index.js';
import { purchaseRecordFixture } from '../../src/testing.js';

const isInvalidInput = (error: unknown) => isLicenseKitError(error, 'INVALID_INPUT');

async function setUp() {
  const storage = memoryStorage();
  await storage.purchases.append(purchaseRecordFixture({ event: { purchase: { source: 'gumroad' } } }));
  await storage.purchases.append(purchaseRecordFixture({ event: { purchase: { source: 'stripe' } } }));
  return new PurchaseAuditLog({ storage });
}

async function drain(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Runs `read` (which may throw at once or while iterating) and returns what it threw. */
async function thrown(read: () => AsyncIterable<unknown> | ReadableStream<string>): Promise<unknown> {
  try {
    const result = read();
    if (result instanceof ReadableStream) await new Response(result).text();
    else await drain(result);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('PurchaseAuditLog getters given a value that is not a string (e.g. a missing query parameter)', () => {
  it('getPurchasesBySource(undefined) is INVALID_INPUT, not every store’s purchases', async () => {
    const audit = await setUp();
    const source = undefined as unknown as string; // e.g. new URL(url).searchParams.get(...) ?? undefined
    const error = await thrown(() => audit.getPurchasesBySource(source));
    expect(error, 'returned every purchase of every store instead').toSatisfy(isInvalidInput);
  });

  it('getPurchasesByEmail / getPurchasesByLicenseKey reject with INVALID_INPUT, not a TypeError', async () => {
    const audit = await setUp();
    for (const value of [undefined, null, 42]) {
      const input = value as unknown as string;
      expect(await thrown(() => audit.getPurchasesByEmail(input)), `email ${value}`).toSatisfy(
        isInvalidInput,
      );
      expect(await thrown(() => audit.getPurchasesByLicenseKey(input)), `key ${value}`).toSatisfy(
        isInvalidInput,
      );
    }
  });

  it('exportCsv with columns that are not an array is INVALID_INPUT, not a TypeError', async () => {
    const audit = await setUp();
    for (const columns of ['email', null]) {
      const error = await thrown(() => audit.exportCsv({}, { columns: columns as unknown as ['email'] }));
      expect(error, `columns ${JSON.stringify(columns)}`).toSatisfy(isInvalidInput);
    }
  });
});
