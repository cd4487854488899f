/**
 * A licensekit `Storage` on Cloudflare D1 (schema: `migrations/0001_init.sql`). Every write is one SQL
 * statement, durable when it resolves. D1 has no `BEGIN`, so:
 * - inserts are idempotent through UNIQUE constraints (`INSERT … ON CONFLICT DO NOTHING RETURNING`);
 * - updates are compare-and-swap on a `version` column: read, run `mutate`, write only if the version
 *   is unchanged, else read again and re-run `mutate` (the port allows it to run more than once).
 * It passes `runStorageConformance` from `licensekit/testing` (see test/examples/workers.test.ts).
 */
import {
  type AuditRecord,
  auditDedupeKey,
  type License,
  LicenseKitError,
  type LicenseStore,
  matchesAuditFilter,
  matchesLicenseFilter,
  type PurchaseLog,
  parseAuditRecord,
  parseLicense,
  type Storage,
} from 'licensekit';

/** The part of Cloudflare's `D1Database` this adapter uses; `env.DB` fits it. */
export interface D1Database {
  prepare(query: string): D1PreparedStatement;
}

/** The part of Cloudflare's `D1PreparedStatement` this adapter uses. */
export interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  all<T = Record<string, unknown>>(): Promise<{ results: T[] }>;
  run(): Promise<{ meta: { changes: number } }>;
}

/** Rows read per query by `list` and `scan`, which stream page by page in insertion order. */
const pageSize = 100;

interface Row {
  seq: number;
  data: string;
}

/** Licenses and the purchase log in the D1 database `db` (migrated with `migrations/0001_init.sql`). */
export function d1Storage(db: D1Database): Storage {
  return { licenses: d1LicenseStore(db), purchases: d1PurchaseLog(db) };
}

/** The license store: a row per license, its JSON in `data`, indexed columns beside it. */
export function d1LicenseStore(db: D1Database): LicenseStore {
  const sql = opener(db, 'license store');
  const one = async (where: string, ...values: unknown[]): Promise<License | null> => {
    const row = await sql(`SELECT data FROM licenses WHERE ${where}`, ...values).first<Row>();
    return row ? (JSON.parse(row.data) as License) : null;
  };
  const indexed = (l: License) => [l.email, l.productId, l.status, l.subscriptionId, JSON.stringify(l)];
  const getByPurchase = (source: string, id: string) =>
    one('purchase_source = ? AND purchase_id = ?', source, id);

  return {
    get: async (key) => one('key_index = ?', key.toUpperCase()),
    getByPurchase: async (source, id) => getByPurchase(source, id),
    async insert(input) {
      const license = parseLicense(input);
      const inserted = await sql(
        `INSERT INTO licenses (key_index, purchase_source, purchase_id, email, product_id, status, subscription_id, data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING seq`,
        license.key.toUpperCase(),
        license.purchaseSource,
        license.purchaseId,
        ...indexed(license),
      ).first();
      if (inserted) return { license, created: true };
      const existing = await getByPurchase(license.purchaseSource, license.purchaseId);
      if (existing) return { license: existing, created: false };
      throw new LicenseKitError('INVALID_INPUT', 'a license with this key already exists for another sale');
    },
    async update(key, mutate) {
      for (;;) {
        const row = await sql(
          'SELECT version, data FROM licenses WHERE key_index = ?',
          key.toUpperCase(),
        ).first<Row & { version: number }>();
        if (!row) return null;
        const current = JSON.parse(row.data) as License;
        const next = mutate(current);
        if (next === current) return current;
        if (
          next.key.toUpperCase() !== current.key.toUpperCase() ||
          next.purchaseSource !== current.purchaseSource ||
          next.purchaseId !== current.purchaseId
        ) {
          throw new LicenseKitError('INVALID_INPUT', 'an update cannot change a license key or its sale');
        }
        const license = parseLicense({ ...next, key: current.key });
        const { meta } = await sql(
          `UPDATE licenses SET email = ?, product_id = ?, status = ?, subscription_id = ?, data = ?,
           version = version + 1 WHERE key_index = ? AND version = ?`,
          ...indexed(license),
          key.toUpperCase(),
          row.version,
        ).run();
        if (meta.changes === 1) return license;
        // Another write got in between: read the new version and run `mutate` on it again.
      }
    },
    list: (filter = {}) =>
      paged(
        (after) =>
          sql(
            `SELECT seq, data FROM licenses WHERE seq > ?1 AND (?2 IS NULL OR email = ?2)
             AND (?3 IS NULL OR product_id = ?3) AND (?4 IS NULL OR status = ?4)
             AND (?5 IS NULL OR purchase_source = ?5) AND (?6 IS NULL OR subscription_id = ?6)
             ORDER BY seq LIMIT ${pageSize}`,
            after,
            filter.email ?? null,
            filter.productId ?? null,
            filter.status ?? null,
            filter.purchaseSource ?? null,
            filter.subscriptionId ?? null,
          ),
        (license: License) => matchesLicenseFilter(license, filter),
      ),
    close: sql.close,
  };
}

/** The purchase log: a row per record in append order, deduplicated by a UNIQUE `dedupe_key`. */
export function d1PurchaseLog(db: D1Database): PurchaseLog {
  const sql = opener(db, 'purchase log');
  // JSON-quoting keeps the NUL separators of `auditDedupeKey` out of SQL text, and stays one-to-one.
  const dedupeKey = (record: AuditRecord) => JSON.stringify(auditDedupeKey(record));
  return {
    async append(input) {
      const record = parseAuditRecord(input);
      const inserted = await sql(
        `INSERT INTO purchase_log (dedupe_key, kind, license_key, data) VALUES (?, ?, ?, ?)
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING seq`,
        dedupeKey(record),
        record.kind,
        record.licenseKey?.toUpperCase() ?? null,
        JSON.stringify(record),
      ).first();
      return inserted !== null;
    },
    has: async (record) =>
      (await sql('SELECT 1 FROM purchase_log WHERE dedupe_key = ?', dedupeKey(record)).first()) !== null,
    scan: (filter = {}) =>
      paged(
        (after) =>
          sql(
            `SELECT seq, data FROM purchase_log WHERE seq > ?1 AND (?2 IS NULL OR kind = ?2)
             AND (?3 IS NULL OR license_key = ?3) ORDER BY seq LIMIT ${pageSize}`,
            after,
            filter.kind ?? null,
            filter.licenseKey?.toUpperCase() ?? null,
          ),
        (record: AuditRecord) => matchesAuditFilter(record, filter),
      ),
    close: sql.close,
  };
}

/** Prepares statements on `db` until `close()`, then throws `STORAGE_CLOSED`. */
function opener(db: D1Database, what: string) {
  let closed = false;
  const sql = (query: string, ...values: unknown[]): D1PreparedStatement => {
    if (closed) throw new LicenseKitError('STORAGE_CLOSED', `the D1 ${what} is closed`);
    return db.prepare(query).bind(...values);
  };
  return Object.assign(sql, {
    close: async () => {
      closed = true;
    },
  });
}

/** Streams the rows `page(after)` selects, page by page by `seq`, keeping those `keep` accepts. */
async function* paged<T>(page: (after: number) => D1PreparedStatement, keep: (item: T) => boolean) {
  for (let after = 0; ; ) {
    const { results } = await page(after).all<Row>();
    for (const row of results) {
      const item = JSON.parse(row.data) as T;
      if (keep(item)) yield item;
    }
    if (results.length < pageSize) return;
    after = results.at(-1)!.seq;
  }
}
