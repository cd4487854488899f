import { describe, expect, it } from 'vitest';
import { emailAddressPattern } from '../../src/domain/_schema-parts.js';
import {
  type AuditRecord,
  type CsvColumn,
  csvColumns,
  PurchaseAuditLog,
  type PurchaseLog,
  type Storage,
} from '../../src/index.js';
import { licenseRecordFixture, purchaseRecordFixture } from '../../src/testing.js';
import {
  type AuditStorageKind,
  auditStorageKinds,
  countingScan,
  type ScanCounts,
  storageWith,
} from '../helpers/audit-storage.js';

/** A strict RFC 4180 parser: CRLF records, quoted fields with doubled quotes, nothing else. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  const endField = () => {
    row.push(field);
    field = '';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      if (field !== '') throw new Error(`quote inside an unquoted field at ${i}`);
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      if (i < text.length && text[i] !== ',' && text[i] !== '\r')
        throw new Error(`junk after a quote at ${i}`);
      continue;
    }
    if (c === ',') {
      endField();
      i++;
    } else if (c === '\r') {
      if (text[i + 1] !== '\n') throw new Error(`bare CR at ${i}`);
      endField();
      rows.push(row);
      row = [];
      i += 2;
    } else if (c === '\n') {
      throw new Error(`bare LF at ${i}`);
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || row.length > 0) throw new Error('the last record does not end in CRLF');
  return rows;
}

async function readAll(stream: ReadableStream<string>): Promise<string> {
  const reader = stream.getReader();
  let text = '';
  for (let next = await reader.read(); !next.done; next = await reader.read()) text += next.value;
  return text;
}

async function auditOf(
  kind: AuditStorageKind,
  records: readonly AuditRecord[],
  wrap: (log: PurchaseLog) => PurchaseLog = (l) => l,
) {
  const storage = await storageWith(kind, records);
  return new PurchaseAuditLog({
    storage: { ...storage, purchases: wrap(storage.purchases) } satisfies Storage,
  });
}

/** Rows as objects keyed by the header. */
function table(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  for (const row of rows) expect(row).toHaveLength(header!.length);
  return rows.map((row) => Object.fromEntries(header!.map((name, i) => [name, row[i]!])));
}

const nasty = [
  '=1+2";=1+2',
  '@SUM(1)',
  '\t=1',
  '-5',
  '+1',
  'a,=1',
  'x"y',
  'a\nb',
  '\r=1',
  '\n=1',
  '=HYPERLINK("http://evil.example","click")',
  "'quoted already",
  'Zoë Ünïcödé 日本語',
  '🦄👩‍💻 emoji',
  'plain',
  '',
];
/** Whether `value` is an email a purchase may hold (one address, trimmed, lower-case). */
const isEmail = (value: string) => emailAddressPattern.test(value) && value === value.trim().toLowerCase();
const neutralised = (value: string) => (/^[=+\-@\t\r\n]/.test(value) ? `'${value}` : value);

describe.each(auditStorageKinds)('exportCsv on %s storage', (kind) => {
  it('writes a header and one RFC 4180 row per record, CRLF line ends, every default column', async () => {
    const sale = purchaseRecordFixture({ licenseKey: 'LK-1', recordedAt: '2024-05-06T07:08:09.000Z' });
    const created = licenseRecordFixture({ licenseKey: 'LK-1', reason: 'because', actor: 'cli' });
    const text = await readAll((await auditOf(kind, [sale, created])).exportCsv());
    expect(text.startsWith(`${csvColumns.join(',')}\r\n`)).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    const { event } = sale;
    expect(table(text)).toEqual([
      {
        recordedAt: '2024-05-06T07:08:09.000Z',
        kind: 'purchase',
        event: 'sale',
        source: 'gumroad',
        eventId: event.eventId,
        saleId: event.purchase.saleId,
        occurredAt: event.occurredAt,
        email: event.purchase.email,
        customerName: 'Test Buyer',
        customerId: '',
        productId: 'app',
        productName: 'App',
        tier: '',
        quantity: '1',
        currency: 'USD',
        amount: '10.00',
        amountMinor: '1000',
        isTest: 'false',
        isRecurring: 'false',
        subscriptionId: '',
        licenseKey: 'LK-1',
        reason: '',
        actor: '',
        id: sale.id,
      },
      {
        ...Object.fromEntries(csvColumns.map((column) => [column, ''])),
        recordedAt: created.recordedAt,
        kind: 'license',
        event: 'created',
        licenseKey: 'LK-1',
        reason: 'because',
        actor: 'cli',
        id: created.id,
      },
    ]);
  });

  it('round-trips nasty values, neutralising formula starts with a leading quote', async () => {
    // A purchase's email is one address: the nasty value becomes its local part where it can be.
    const emailOf = (value: string, i: number) =>
      isEmail(`${value}@example.com`) ? `${value}@example.com` : `buyer-${i}@example.com`;
    const records = nasty.flatMap((value, i): AuditRecord[] => [
      purchaseRecordFixture({
        event: {
          purchase: { customerName: value, productName: value, tier: value, email: emailOf(value, i) },
        },
      }),
      licenseRecordFixture({ reason: value, actor: value }),
    ]);
    const rows = table(await readAll((await auditOf(kind, records)).exportCsv()));
    expect(rows).toHaveLength(records.length);
    nasty.forEach((value, i) => {
      const [purchaseRow, licenseRow] = [rows[2 * i]!, rows[2 * i + 1]!];
      expect(purchaseRow.customerName).toBe(neutralised(value));
      expect(purchaseRow.productName).toBe(neutralised(value));
      expect(purchaseRow.tier).toBe(neutralised(value));
      expect(licenseRow.reason).toBe(neutralised(value));
      expect(licenseRow.actor).toBe(neutralised(value));
      expect(purchaseRow.email).toBe(neutralised(emailOf(value, i)));
    });
    expect(nasty.filter((value, i) => /^[=+\-@]/.test(emailOf(value, i)))).toHaveLength(2);
    expect(nasty.filter((value) => neutralised(value) !== value)).toHaveLength(8);
  });

  it('encodes a cell as quote-prefixed original text, quoted with doubled quotes', async () => {
    const records = ['=1+2";=1+2', '\r=1', 'a,=1', '-5'].map((actor) => licenseRecordFixture({ actor }));
    const text = await readAll((await auditOf(kind, records)).exportCsv({}, { columns: ['actor'] }));
    expect(text).toBe('actor\r\n"\'=1+2"";=1+2"\r\n"\'\r=1"\r\n"a,=1"\r\n\'-5\r\n');
  });

  it('leaves test purchases out unless includeTest, and applies the filter', async () => {
    const real = purchaseRecordFixture({ event: { purchase: { source: 'stripe' } } });
    const test = purchaseRecordFixture({ event: { purchase: { isTest: true } } });
    const license = licenseRecordFixture();
    const audit = await auditOf(kind, [real, test, license]);
    const ids = async (...args: Parameters<PurchaseAuditLog['exportCsv']>) =>
      table(await readAll(audit.exportCsv(...args))).map((row) => row.id);
    expect(await ids()).toEqual([real.id, license.id]);
    expect(await ids({ includeTest: true })).toEqual([real.id, test.id, license.id]);
    expect(await ids({ kind: 'purchase', includeTest: true, source: 'gumroad' })).toEqual([test.id]);
  });

  it('writes the chosen columns in the chosen order, amounts in each currency’s decimals', async () => {
    const records = [
      purchaseRecordFixture({ event: { purchase: { currency: 'JPY', amount: 1500 } } }),
      purchaseRecordFixture({ event: { purchase: { currency: 'KWD', amount: 1250 } } }),
      purchaseRecordFixture({ event: { purchase: { currency: 'EUR', amount: 2399 } } }),
    ];
    const text = await readAll(
      (await auditOf(kind, records)).exportCsv({}, { columns: ['amount', 'currency', 'id'] }),
    );
    expect(text).toBe(
      `amount,currency,id\r\n1500,JPY,${records[0]!.id}\r\n1.250,KWD,${records[1]!.id}\r\n23.99,EUR,${records[2]!.id}\r\n`,
    );
  });

  it('throws INVALID_INPUT at call time for an unknown column or none', async () => {
    const audit = await auditOf(kind, []);
    for (const columns of [['email', 'password'], ['__proto__'], ['toString'], []]) {
      expect(() => audit.exportCsv({}, { columns: columns as CsvColumn[] }), JSON.stringify(columns)).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT' }),
      );
    }
  });

  it('is lazy: reads the log only as the consumer pulls, and cancelling ends the scan', async () => {
    const counts: ScanCounts = { yielded: 0, finished: false };
    const storage = await storageWith(kind);
    // The order does not matter here: concurrent appends share group commits on files.
    await Promise.all(Array.from({ length: 5000 }, () => storage.purchases.append(purchaseRecordFixture())));
    const audit = new PurchaseAuditLog({
      storage: { ...storage, purchases: countingScan(storage.purchases, counts) },
    });

    const reader = audit.exportCsv().getReader();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(counts.yielded).toBe(0);
    expect((await reader.read()).value).toBe(`${csvColumns.join(',')}\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(counts.yielded).toBe(0);
    const chunk = await reader.read();
    expect(chunk.value?.split('\r\n').length).toBeGreaterThan(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(counts.yielded).toBeGreaterThan(0);
    expect(counts.yielded).toBeLessThanOrEqual(65);
    await reader.cancel();
    expect(counts.finished).toBe(true);

    counts.yielded = 0;
    const rows = parseCsv(await readAll(audit.exportCsv()));
    expect(rows).toHaveLength(5001);
    expect(counts.yielded).toBe(5000);
  });

  it('errors the stream when the log fails', async () => {
    const failing = (log: PurchaseLog): PurchaseLog => ({
      ...log,
      scan: async function* () {
        yield* log.scan();
        throw new Error('disk on fire');
      },
    });
    const audit = await auditOf(kind, [purchaseRecordFixture()], failing);
    await expect(readAll(audit.exportCsv())).rejects.toThrow('disk on fire');
  });
});
