import { describe, expect, it } from 'vitest';
import { isLicenseKitError, LicenseManager, memoryStorage } from '../../src/index.js';
import { purchaseEventFixture } from '../../src/testing.js';

// An event time shaped like ISO 8601 but naming no moment would be in the books and in no report
// (it parses to NaN): such an event is refused before anything is written.
describe('an event whose times match the pattern but name no moment', () => {
  it('is refused with INVALID_INPUT and leaves nothing behind', async () => {
    const storage = memoryStorage();
    const manager = new LicenseManager({ storage });
    for (const [occurredAt, purchasedAt] of [
      ['2025-13-01T00:00:00Z', '2025-03-01T00:00:00Z'],
      ['2025-03-01T00:00:00Z', '2025-02-30T00:00:00Z'],
      ['2025-03-01T24:00:00Z', '2025-03-01T00:00:00Z'],
    ]) {
      const sale = purchaseEventFixture({ occurredAt, purchase: { amount: 2999, purchasedAt } });
      await expect(manager.handlePurchaseEvent(sale)).rejects.toSatisfy((error) =>
        isLicenseKitError(error, 'INVALID_INPUT'),
      );
    }
    let written = 0;
    for await (const _ of storage.purchases.scan()) written++;
    for await (const _ of storage.licenses.list()) written++;
    expect(written).toBe(0);
  });
});
