import { decodeTime } from 'ulid';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  createdRecordId,
  isLicenseKitError,
  memoryStorage,
  PurchaseAuditLog,
  type PurchaseEventType,
  type PurchaseRecord,
  type Storage,
} from '../../src/index.js';
import { fileStorage } from '../../src/node.js';
import { licenseFixture, licenseRecordFixture, purchaseRecordFixture } from '../../src/testing.js';
import { countingScan, type ScanCounts } from '../helpers/audit-storage.js';
import { collect } from '../helpers/storage.js';
import { TempDirs } from '../helpers/temp-dir.js';

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

const storages: [string, () => Promise<Storage>][] = [
  ['memoryStorage', async () => memoryStorage()],
  ['fileStorage', async () => fileStorage({ dir: await dirs.make('audit'), reconcileOnOpen: false })],
];

let minute = 0;
/** A purchase record recorded and occurring one minute after the previous one (from 2024-01-01). */
function purchase(
  type: PurchaseEventType,
  source: string,
  saleId: string,
  extra: { email?: string; licenseKey?: string | null; isTest?: boolean } = {},
): PurchaseRecord {
  minute += 1;
  const at = new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString();
  return purchaseRecordFixture({
    recordedAt: at,
    licenseKey: extra.licenseKey ?? null,
    event: {
      type,
      eventId: `${source}:${saleId}:${type}:${minute}`,
      occurredAt: at,
      purchase: {
        source,
        saleId,
        email: extra.email ?? `${saleId.toLowerCase()}@example.com`,
        isTest: extra.isTest ?? false,
      },
    },
  });
}

/** A log exercising every query: test purchases, out-of-order refunds, a saleId shared across stores. */
function buildLog() {
  minute = 0;
  const saleA = purchase('sale', 'gumroad', 'A', { email: 'alice@example.com', licenseKey: 'LK-AAAA' });
  const saleB = purchase('sale', 'stripe', 'B', { licenseKey: 'LK-BBBB' });
  const testSale = purchase('sale', 'gumroad', 'T', {
    email: 'alice@example.com',
    isTest: true,
    licenseKey: 'LK-AAAA',
  });
  const created = licenseRecordFixture({ licenseKey: 'LK-AAAA', recordedAt: '2024-01-01T00:03:30.000Z' });
  const refundA = purchase('refund', 'gumroad', 'A', { email: 'alice@example.com', licenseKey: 'LK-AAAA' });
  const saleC = purchase('sale', 'gumroad', 'C');
  const partialC = purchase('partial_refund', 'gumroad', 'C');
  const saleD = purchase('sale', 'stripe', 'D');
  const disputeD = purchase('dispute', 'stripe', 'D');
  const wonD = purchase('dispute_won', 'stripe', 'D');
  const saleE = purchase('sale', 'paddle', 'E');
  const disputeE = purchase('dispute', 'paddle', 'E');
  const lostE = purchase('dispute_lost', 'paddle', 'E');
  const refundF = purchase('refund', 'stripe', 'F');
  const saleF = purchase('sale', 'stripe', 'F');
  const testRefund = purchase('refund', 'gumroad', 'T', { email: 'alice@example.com', isTest: true });
  const saleG = purchase('sale', 'gumroad', 'shared');
  const refundOtherStore = purchase('refund', 'stripe', 'shared');
  const records: AuditRecord[] = [
    saleA,
    saleB,
    testSale,
    created,
    refundA,
    saleC,
    partialC,
    saleD,
    disputeD,
    wonD,
    saleE,
    disputeE,
    lostE,
    refundF,
    saleF,
    testRefund,
    saleG,
    refundOtherStore,
  ];
  return {
    records,
    saleA,
    saleB,
    testSale,
    created,
    refundA,
    saleC,
    partialC,
    saleE,
    lostE,
    saleF,
    saleG,
    refundOtherStore,
    testRefund,
    refundF,
  };
}

describe.each(storages)('PurchaseAuditLog queries on %s', (_name, open) => {
  async function setUp() {
    const storage = await open();
    const log = buildLog();
    for (const record of log.records) expect(await storage.purchases.append(record)).toBe(true);
    return { ...log, audit: new PurchaseAuditLog({ storage }) };
  }

  it('query() returns every record in append order except test purchases', async () => {
    const { audit, records, testSale, testRefund } = await setUp();
    expect(await collect(audit.query())).toEqual(records.filter((r) => r !== testSale && r !== testRefund));
    expect(await collect(audit.query({ includeTest: true }))).toEqual(records);
  });

  it('query() passes the storage filter through', async () => {
    const { audit, created, refundA, testSale, testRefund } = await setUp();
    expect(await collect(audit.query({ kind: 'license' }))).toEqual([created]);
    expect(await collect(audit.query({ type: 'refund', source: 'gumroad' }))).toEqual([refundA]);
    expect(await collect(audit.query({ type: 'refund', source: 'gumroad', includeTest: true }))).toEqual([
      refundA,
      testRefund,
    ]);
    expect(await collect(audit.query({ until: '2024-01-01T00:03:00.000Z', includeTest: true }))).toHaveLength(
      3,
    );
    expect(await collect(audit.query({ until: '2024-01-01T00:03:00.000Z' }))).not.toContainEqual(testSale);
  });

  it('query() bounds are inclusive instants, whatever their precision', async () => {
    const { audit, records } = await setUp();
    // records[1] is recorded at 2024-01-01T00:02:00.000Z.
    const at = records[1]!.recordedAt;
    expect(at).toBe('2024-01-01T00:02:00.000Z');
    const between = (since: string, until: string) =>
      collect(audit.query({ since, until, includeTest: true }));
    expect(await between('2024-01-01T00:02:00Z', '2024-01-01T00:02:00Z')).toEqual([records[1]]);
    expect(await between('2024-01-01T00:01:59.999Z', '2024-01-01T00:02:00.000Z')).toEqual([records[1]]);
    expect(await between('2024-01-01T00:02:00.001Z', '2024-01-01T00:02:59Z')).toEqual([]);
    for (const since of ['yesterday', '2024-01-01T00:02:00', '2024-01-01T00:02:00+01:00']) {
      expect(() => audit.query({ since })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });

  it('getPurchasesBySource returns that store’s purchase records only', async () => {
    const { audit, records } = await setUp();
    const gumroad = records.filter(
      (r) => r.kind === 'purchase' && r.event.purchase.source === 'gumroad' && !r.event.purchase.isTest,
    );
    expect(gumroad).toHaveLength(5);
    expect(await collect(audit.getPurchasesBySource('gumroad'))).toEqual(gumroad);
    expect(await collect(audit.getPurchasesBySource('nowhere'))).toEqual([]);
  });

  it('getPurchasesByEmail trims and lower-cases, and leaves test purchases out', async () => {
    const { audit, saleA, refundA } = await setUp();
    expect(await collect(audit.getPurchasesByEmail('  ALICE@Example.COM '))).toEqual([saleA, refundA]);
  });

  it('getPurchasesByLicenseKey matches case-insensitively and returns purchase records only', async () => {
    const { audit, saleA, refundA } = await setUp();
    expect(await collect(audit.getPurchasesByLicenseKey(' lk-aaaa'))).toEqual([saleA, refundA]);
  });

  it('getRefundedPurchases: sales with a full refund or a lost dispute, matched on source + saleId', async () => {
    const { audit, saleA, saleE, saleF } = await setUp();
    // saleC has only a partial refund, saleD a won dispute, saleG a refund from another store
    // with the same saleId, the test sale a test refund. saleF was refunded before it was recorded.
    expect(await collect(audit.getRefundedPurchases())).toEqual([saleA, saleE, saleF]);
  });

  it('the getters include test purchases when asked', async () => {
    const { audit, saleA, testSale, refundA, testRefund } = await setUp();
    const withTest = { includeTest: true };
    expect(await collect(audit.getPurchasesByEmail('alice@example.com', withTest))).toEqual([
      saleA,
      testSale,
      refundA,
      testRefund,
    ]);
    expect(await collect(audit.getPurchasesByLicenseKey('LK-AAAA', withTest))).toEqual([
      saleA,
      testSale,
      refundA,
    ]);
    expect(await collect(audit.getPurchasesBySource('gumroad', withTest))).toContainEqual(testRefund);
    expect(await collect(audit.getRefundedPurchases(withTest))).toContainEqual(testSale);
  });
});

describe.each(storages)('PurchaseAuditLog reads lazily on %s', (_name, open) => {
  /** The first item of `items`; leaving the loop early closes the iterator. */
  async function firstOf<T>(items: AsyncIterable<T>): Promise<T | undefined> {
    for await (const item of items) return item;
    return undefined;
  }

  it('taking one item from query() or getPurchasesBySource() pulls a handful of records', async () => {
    const storage = await open();
    // Two test purchases first (query() skips them), then gumroad and stripe sales alternating.
    const records = Array.from({ length: 2000 }, (_, i) =>
      purchaseRecordFixture({
        event: { purchase: { source: i % 2 === 0 ? 'gumroad' : 'stripe', isTest: i < 2 } },
      }),
    );
    for (const record of records.slice(0, 2)) expect(await storage.purchases.append(record)).toBe(true);
    // The order of the rest does not matter: concurrent appends share group commits on files.
    const appended = await Promise.all(records.slice(2).map((record) => storage.purchases.append(record)));
    expect(appended.every(Boolean)).toBe(true);
    const counts: ScanCounts = { yielded: 0, finished: false };
    const audit = new PurchaseAuditLog({
      storage: { ...storage, purchases: countingScan(storage.purchases, counts) },
    });

    expect(await firstOf(audit.query())).toEqual(records[2]);
    expect(counts.yielded).toBeGreaterThanOrEqual(3);
    expect(counts.yielded).toBeLessThanOrEqual(5);
    expect(counts.finished).toBe(true);

    counts.yielded = 0;
    const stripe = await firstOf(audit.getPurchasesBySource('stripe'));
    expect(stripe).toMatchObject({
      kind: 'purchase',
      event: { purchase: { source: 'stripe', isTest: false } },
    });
    expect(counts.yielded).toBeGreaterThanOrEqual(1);
    expect(counts.yielded).toBeLessThanOrEqual(5);
    expect(counts.finished).toBe(true);

    // Drained, the same calls pull every matching record: the counter sees what they read.
    counts.yielded = 0;
    expect(await collect(audit.query())).toHaveLength(1998);
    expect(counts.yielded).toBe(2000);
    counts.yielded = 0;
    expect(await collect(audit.getPurchasesBySource('stripe'))).toHaveLength(999);
    expect(counts.yielded).toBe(1000);
  });
});

describe('PurchaseAuditLog hands the storage normalized filters', () => {
  it('so a custom adapter that compares exactly still finds the records', async () => {
    const storage = memoryStorage();
    const filters: unknown[] = [];
    const audit = new PurchaseAuditLog({
      storage: {
        ...storage,
        purchases: {
          ...storage.purchases,
          scan: (filter) => {
            filters.push(filter);
            return storage.purchases.scan(filter);
          },
        },
      },
    });
    await collect(audit.getPurchasesByEmail('  ALICE@Example.COM '));
    await collect(audit.getPurchasesByLicenseKey(' lk-aaaa '));
    await collect(audit.getPurchasesBySource('gumroad'));
    await collect(audit.query({ source: 'stripe', includeTest: true }));
    await audit.getPurchaseStats({ source: 'paddle', productId: 'tool', since: '2024-01-01T00:00:00.000Z' });
    expect(filters).toEqual([
      { kind: 'purchase', email: 'alice@example.com' },
      { kind: 'purchase', licenseKey: 'lk-aaaa' },
      { kind: 'purchase', source: 'gumroad' },
      { source: 'stripe' },
      { kind: 'purchase', source: 'paddle' }, // not by product: see getPurchaseStats
    ]);
  });
});

describe('PurchaseAuditLog writes', () => {
  const now = new Date('2025-03-04T05:06:07.089Z');
  const clock = () => new Date(now);

  it('recordPurchase appends a validated record with a ulid of the clock time, once per event', async () => {
    const storage = memoryStorage();
    const audit = new PurchaseAuditLog({ storage, clock });
    const { event } = purchaseRecordFixture();
    expect(await audit.recordPurchase(event, 'LK-1')).toBe(true);
    expect(await audit.recordPurchase(event, 'LK-1')).toBe(false);
    const [record, ...rest] = await collect(storage.purchases.scan());
    expect(rest).toEqual([]);
    expect(record).toEqual({
      kind: 'purchase',
      id: expect.any(String),
      recordedAt: now.toISOString(),
      event,
      licenseKey: 'LK-1',
    });
    expect(record!.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(decodeTime(record!.id)).toBe(now.getTime());
  });

  it('recordLicenseAction writes reason, actor and an explicit id', async () => {
    const storage = memoryStorage();
    const audit = new PurchaseAuditLog({ storage, clock });
    const license = licenseFixture();
    const id = createdRecordId(license);
    expect(await audit.recordLicenseAction('created', license.key, { id })).toBe(true);
    expect(await audit.recordLicenseAction('created', license.key, { id })).toBe(false);
    expect(
      await audit.recordLicenseAction('revoked', license.key, { reason: 'refunded', actor: 'webhook' }),
    ).toBe(true);
    const records = await collect(storage.purchases.scan());
    expect(records).toEqual([
      {
        kind: 'license',
        id,
        recordedAt: now.toISOString(),
        action: 'created',
        licenseKey: license.key,
        reason: null,
        actor: null,
      },
      {
        kind: 'license',
        id: expect.any(String),
        recordedAt: now.toISOString(),
        action: 'revoked',
        licenseKey: license.key,
        reason: 'refunded',
        actor: 'webhook',
      },
    ]);
    expect(decodeTime(records[1]!.id)).toBe(now.getTime());
  });

  it.each(storages)(
    'refuses an invalid record with INVALID_INPUT and appends nothing on %s',
    async (_name, open) => {
      const storage = await open();
      const audit = new PurchaseAuditLog({ storage, clock });
      const { event } = purchaseRecordFixture({ event: { purchase: { email: 'Upper@Example.com' } } });
      await expect(audit.recordPurchase(event, null)).rejects.toSatisfy((e) =>
        isLicenseKitError(e, 'INVALID_INPUT'),
      );
      await expect(audit.recordLicenseAction('created', '  ')).rejects.toSatisfy((e) =>
        isLicenseKitError(e, 'INVALID_INPUT'),
      );
      await expect(audit.recordLicenseAction('exploded' as 'created', 'LK-1')).rejects.toSatisfy((e) =>
        isLicenseKitError(e, 'INVALID_INPUT'),
      );
      expect(await collect(storage.purchases.scan())).toEqual([]);
      // The refusals left the log usable: a valid record goes in as the first one.
      expect(await audit.recordLicenseAction('email_sent', 'LK-1')).toBe(true);
      expect((await collect(storage.purchases.scan())).map((r) => r.kind === 'license' && r.action)).toEqual([
        'email_sent',
      ]);
    },
  );

  it('uses the system clock by default', async () => {
    const storage = memoryStorage();
    const before = Date.now();
    await new PurchaseAuditLog({ storage }).recordLicenseAction('email_sent', 'LK-1');
    const [record] = await collect(storage.purchases.scan());
    expect(Date.parse(record!.recordedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(record!.recordedAt)).toBeLessThanOrEqual(Date.now());
  });

  it('refuses a storage without a purchase log', () => {
    expect(
      () => new PurchaseAuditLog({ storage: { licenses: memoryStorage().licenses } as Storage }),
    ).toThrow(expect.objectContaining({ code: 'STORAGE_MISSING_METHODS' }));
  });
});
