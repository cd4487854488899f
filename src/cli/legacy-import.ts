/**
 * How the old Python system's files become licensekit records (`licensekit import-legacy`). Every
 * mapping decision is written down here. This module maps licenses, `legacy-purchase.ts` maps
 * purchase lines, `legacy-files.ts` reads the files, `legacy-run.ts` drives the import,
 * `legacy-write.ts` writes (idempotently) and `legacy-tally.ts` counts and keeps the books.
 *
 * Shared rules
 * - Dates are Python `isoformat()` strings; zone-less ones (the usual case) are taken as UTC, an
 *   explicit zone is honoured, microseconds are cut to milliseconds (`legacyDate`).
 * - Strings are trimmed; numbers where strings belong (hand-edited ids) become their text; booleans
 *   also accept `"true"`/`"false"`/`1`/`0` (`legacy-values.ts`).
 * - Anything the import had to choose is reported as a note; anything it could not import is a skip
 *   with its reason. Skips make the command exit 1 unless `--allow-skips`.
 *
 * Licenses (`licenses.json`: one JSON object keyed by license key, 11 fields each)
 * - key: the legacy key's exact text (trimmed). Lookups ignore case and keys of any shape are looked
 *   up as typed, so customers' keys keep working. A key equal to an earlier one but for case is
 *   skipped (it would be the same key).
 * - productId: the file has no product; it comes from the first purchase line naming the key
 *   (`product_id`), else `--product` (default `unknown-product`), with a note.
 * - email and customer_name: the license's, else that purchase line's; email trimmed and lower-cased.
 * - createdAt: `created_date`, else the purchase line's date, else the time of the import (noted).
 * - expiresAt: `expiry_date`; `null` is perpetual (LEGACY.md: "null = lifetime"). Absent or blank
 *   (`""`) is perpetual too, with a note: LEGACY.md does not say, and a Python server most likely
 *   tested it as falsy, like `None`. Any other value that is not a date is skipped: a guess would
 *   give away or take away access.
 * - status: `is_active: false` → `revoked`, reason `legacy-inactive`, with a `revoked` audit record
 *   (actor `import-legacy`). `true` → `active`; anything else (absent, `null`, not a boolean) →
 *   `active` with a note. A refund does not change the status: the legacy system did not revoke on
 *   refund; the summary names active licenses of refunded sales.
 * - seats and devices: the legacy system bound one machine per key, so `maxDevices` is 1.
 *   `hardware_id` set → that device (name `device_name`), activated at `createdAt` (the legacy
 *   files do not say when), last seen at `last_validation` (else `createdAt`). Kept on revoked
 *   licenses too, so a reinstated license still knows its machine.
 * - telemetry: `last_validation` → `lastValidatedAt`, `validation_count` → `validationCount`.
 * - purchaseSource/purchaseId: `purchase_source` (lower-cased; else the purchase line's `source`,
 *   else `legacy`) and `purchase_id`, so a later refund or dispute webhook for that sale finds the
 *   license, and a second import inserts nothing (inserts are idempotent on that pair). Without a
 *   `purchase_id` the sale is the one the purchase line names (its `source`, else `purchase_source`,
 *   and its `sale_id`), noted; without that too the pair is (`legacy`, key), noted, and no store
 *   event will find the license. A second license of one sale (the legacy server made one per
 *   webhook retry) gets purchaseId `<purchase_id>#<key>`, so no customer's key is lost.
 * - subscriptionId: the purchase line's `subscription_id`, so renewals and cancellations find it.
 * - deliveredAt: `createdAt`: the legacy system emailed the key when it made it, and a retried
 *   store event must not email it again.
 * - The license is inserted directly (`storage.licenses.insert`): a legacy license is not a new sale,
 *   so no email is sent. Its `created` record uses `createdRecordId(license)`, actor `import-legacy`.
 *
 * Purchases (`purchases.jsonl`: one JSON object a line) → `purchase` audit records
 * - A line that is not JSON, not an object, or lacks `license_key`, `sale_id` or a readable `price`
 *   is skipped with its reason. Blank lines are ignored. Everything else is imported with what it has.
 * - price: a decimal string in the major unit (`"29.99"`, a bare number is read as its text) →
 *   integer minor units of the currency (`parseDecimalToMinorUnits`: `"4800"` JPY → 4800, `"29.99"`
 *   USD → 2999). A price the currency cannot hold (`"1.5"` JPY, negative) is skipped.
 * - currency: upper-cased; absent → `USD` (what the legacy Gumroad server sold in), noted.
 * - source: `source`, else the license's `purchase_source` (from licenses.json, or, when only the
 *   purchases are imported, from the license an earlier import stored), else `legacy`; lower-cased.
 * - A `sale` event; with `is_refunded` also a `refund` of the full price, with `is_disputed` a
 *   `dispute`, so `licensekit stats` matches the legacy books. Event ids: a Gumroad sale's are the
 *   ones the Gumroad normalizer gives its pings (`gumroad:<sale_id>:sale`, `:refund`, `:dispute`), so
 *   a ping Gumroad sends again after the import is a redelivery; other sources' are
 *   `legacy:<sale_id>:<type>`. The ids are deterministic: a second import appends nothing. The legacy
 *   files do not say when a refund or dispute happened: they carry the sale's date, which keeps every
 *   period's net as the legacy books had it.
 * - occurredAt and purchasedAt: `purchase_date`, else `timestamp`, else the license's creation
 *   date, else the time of the import (noted).
 * - A second line for a sale already taken (the legacy server logged every webhook, retries and
 *   refunds included, as a new line) is a duplicate: counted and reported, not a skip. Its
 *   `is_refunded` or `is_disputed` flag, when the sale does not have it yet, adds that event to the
 *   sale, naming the first line's license.
 * - email, customer_name: the line's, else the license's; product_id else `--product`;
 *   product_name else "unknown product"; quantity else 1; tier, customer_id, subscription_id,
 *   source_license_key else null; is_recurring else false; never a test purchase.
 * - The record names the license by its key as stored (the line's text when no license has it).
 */
import type { License } from '../index.js';
import {
  asObject,
  count,
  flag,
  isMissing,
  type LegacyObject,
  legacyDate,
  shown,
  text,
} from './legacy-values.js';

/** Options of the mapping: the product for records that name none, and the import's own time. */
export interface LegacyMappingOptions {
  productId: string;
  /** ISO time of the import, the last-resort date. */
  now: string;
}

/** What purchase lines say about a license key (from the first line naming it). */
export interface KeyHint {
  productId: string | null;
  source: string | null;
  saleId: string | null;
  purchasedAt: string | null;
  email: string | null;
  customerName: string | null;
  subscriptionId: string | null;
}

/** A mapped value with the notes it produced, or the reason it cannot be imported. */
export type Mapped<T> = { ok: true; value: T; notes: string[] } | { ok: false; reason: string };

/** The license reason of inactive legacy licenses. */
export const legacyInactiveReason = 'legacy-inactive';

/** The actor of the import's audit records. */
export const importActor = 'import-legacy';

/** The upper-case key text, for matching keys case-insensitively. */
export function keyIndex(key: string): string {
  return key.trim().toUpperCase();
}

/** The hint of one parsed purchase line, keyed by its license key's index; `null` without a key. */
export function keyHint(line: LegacyObject): [string, KeyHint] | null {
  const key = text(line.license_key);
  if (key === null) return null;
  return [
    keyIndex(key),
    {
      productId: text(line.product_id),
      source: text(line.source)?.toLowerCase() ?? null,
      saleId: text(line.sale_id),
      purchasedAt: legacyDate(line.purchase_date) ?? legacyDate(line.timestamp),
      email: text(line.email)?.toLowerCase() ?? null,
      customerName: text(line.customer_name),
      subscriptionId: text(line.subscription_id),
    },
  ];
}

/** Maps one `licenses.json` entry (see the module comment). */
export function mapLegacyLicense(
  rawKey: string,
  value: unknown,
  hint: KeyHint | undefined,
  options: LegacyMappingOptions,
): Mapped<License> {
  const key = rawKey.trim();
  if (key === '') return { ok: false, reason: 'the key is empty' };
  const fields = asObject(value);
  if (fields === null) return { ok: false, reason: `its value is ${shown(value)}, not an object` };
  const notes: string[] = [];
  const expiresAt = legacyDate(fields.expiry_date);
  if (!isMissing(fields.expiry_date) && expiresAt === null) {
    return { ok: false, reason: `expiry_date ${shown(fields.expiry_date)} is not a date` };
  }
  if (fields.expiry_date !== null && isMissing(fields.expiry_date)) {
    notes.push('no expiry_date (absent or blank): imported as perpetual, as null is');
  }
  let createdAt = legacyDate(fields.created_date) ?? hint?.purchasedAt ?? null;
  if (createdAt === null) {
    notes.push('no readable created_date: created at the time of the import');
    createdAt = options.now;
  }
  let productId = hint?.productId ?? null;
  if (productId === null) {
    notes.push(`no purchase line names a product: product "${options.productId}" (set it with --product)`);
    productId = options.productId;
  }
  const active = flag(fields.is_active);
  if (active === null) {
    const what =
      fields.is_active === undefined
        ? 'no is_active'
        : `is_active ${shown(fields.is_active)} is not a boolean`;
    notes.push(`${what}: imported as active`);
  }
  const lastValidatedAt = legacyDate(fields.last_validation);
  const hardwareId = text(fields.hardware_id);
  return {
    ok: true,
    notes,
    value: {
      key,
      productId,
      email: text(fields.email)?.toLowerCase() ?? hint?.email ?? '',
      customerName: text(fields.customer_name) ?? hint?.customerName ?? '',
      createdAt,
      expiresAt,
      status: active === false ? 'revoked' : 'active',
      statusReason: active === false ? legacyInactiveReason : null,
      maxDevices: 1,
      devices:
        hardwareId === null
          ? []
          : [
              {
                hardwareId,
                deviceName: text(fields.device_name),
                activatedAt: createdAt,
                lastSeenAt: lastValidatedAt ?? createdAt,
              },
            ],
      lastValidatedAt,
      validationCount: count(fields.validation_count) ?? 0,
      ...licenseSale(key, fields, hint, notes),
      subscriptionId: hint?.subscriptionId ?? null,
      deliveredAt: createdAt,
    },
  };
}

/**
 * The sale a license belongs to: its `purchase_id`, else the sale its purchase line names, else
 * (`legacy`, key). Pushes a note onto `notes` when it is not the license's own `purchase_id`.
 */
function licenseSale(
  key: string,
  fields: LegacyObject,
  hint: KeyHint | undefined,
  notes: string[],
): Pick<License, 'purchaseSource' | 'purchaseId'> {
  const source = text(fields.purchase_source)?.toLowerCase() ?? null;
  const purchaseId = text(fields.purchase_id);
  if (purchaseId !== null) return { purchaseSource: source ?? hint?.source ?? 'legacy', purchaseId };
  if (hint !== undefined && hint.saleId !== null) {
    notes.push("no purchase_id: linked to the sale its purchase line names (that line's source and sale_id)");
    return { purchaseSource: hint.source ?? source ?? 'legacy', purchaseId: hint.saleId };
  }
  notes.push(
    'no purchase_id and no purchase line with a sale_id: sale "legacy <key>", no store event will find it',
  );
  return { purchaseSource: 'legacy', purchaseId: key };
}

/** A license for the same sale as an earlier one keeps its key: its purchaseId becomes `<id>#<key>`. */
export function secondLicenseOfSale(license: License): License {
  return { ...license, purchaseId: `${license.purchaseId}#${license.key}` };
}

/** Whether `license` is a second license of its sale (made by {@link secondLicenseOfSale}). */
export function isSecondLicense(license: License): boolean {
  return license.purchaseId.endsWith(`#${license.key}`);
}

/** The id of the sale `license` belongs to: its purchaseId, without a second license's `#<key>`. */
export function saleIdOf(license: License): string {
  const { purchaseId, key } = license;
  return isSecondLicense(license) ? purchaseId.slice(0, -(key.length + 1)) : purchaseId;
}
