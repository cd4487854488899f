import { z } from 'zod';
import { crockfordBase32 } from './_crockford.js';
import { parseWith } from './_parse.js';
import { isoTimestamp, longText, nonEmpty, shortText } from './_schema-parts.js';
import { type PurchaseEvent, purchaseEventSchema } from './purchase.js';
import { ulidTime } from './record-id.js';

/** Things that happen to a license, each leaving one audit record. */
export type LicenseAction =
  | 'created'
  | 'revoked'
  | 'suspended'
  | 'reinstated'
  | 'extended'
  | 'device_activated'
  | 'device_deactivated'
  | 'email_sent'
  | 'email_failed';

/** A purchase event as received, with the license it concerns (null when none exists yet). */
export interface PurchaseRecord {
  kind: 'purchase';
  /** ulid */
  id: string;
  recordedAt: string;
  event: PurchaseEvent;
  licenseKey: string | null;
}

/** Something done to a license, by whom (`actor`) and why (`reason`). */
export interface LicenseRecord {
  kind: 'license';
  /** ulid */
  id: string;
  recordedAt: string;
  action: LicenseAction;
  licenseKey: string;
  reason: string | null;
  actor: string | null;
}

/** One entry of the append-only purchase and license history. */
export type AuditRecord = PurchaseRecord | LicenseRecord;

const licenseActions: readonly LicenseAction[] = [
  'created',
  'revoked',
  'suspended',
  'reinstated',
  'extended',
  'device_activated',
  'device_deactivated',
  'email_sent',
  'email_failed',
];

/** Why and by whom, as a license record holds them: an actor names a person, a store or a device. */
const licenseActionDetailsSchema = z.strictObject({
  reason: longText.nullable(),
  actor: longText.nullable(),
});

/** @internal zod schema of {@link AuditRecord}. */
export const auditRecordSchema: z.ZodType<AuditRecord> = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('purchase'),
    id: nonEmpty,
    recordedAt: isoTimestamp,
    event: purchaseEventSchema,
    licenseKey: shortText.nullable(),
  }),
  z.strictObject({
    kind: z.literal('license'),
    id: nonEmpty,
    recordedAt: isoTimestamp,
    action: z.enum(licenseActions as [LicenseAction, ...LicenseAction[]]),
    licenseKey: nonEmpty,
    ...licenseActionDetailsSchema.shape,
  }),
]);

/** Checks that `input` is a well-formed {@link AuditRecord}; throws `INVALID_INPUT` listing the issues. */
export function parseAuditRecord(input: unknown): AuditRecord {
  return parseWith(auditRecordSchema, input, 'audit record');
}

/**
 * Checks the reason and actor of a license action before the action changes anything, so that a
 * change is never stored without its record; throws `INVALID_INPUT`.
 */
export function checkLicenseActionDetails(details: { reason: string | null; actor: string | null }): void {
  parseWith(licenseActionDetailsSchema, details, 'reason or actor');
}

/**
 * The key a purchase log deduplicates on: `source + eventId` for a purchase record, so a redelivered
 * webhook is recorded once; the record `id` for a license record, so retrying an append is safe.
 * Its parts are joined by U+0000, which some databases refuse in text (Postgres): encode it there,
 * e.g. with `JSON.stringify`.
 */
export function auditDedupeKey(record: AuditRecord): string {
  return record.kind === 'purchase'
    ? `purchase\u0000${record.event.purchase.source}\u0000${record.event.eventId}`
    : `license\u0000${record.id}`;
}

/**
 * A ULID-shaped record id that is the same for the same `(at, text)`: its time is `at` and its
 * random part is a hash of `text`. Records that must be written at most once, by whoever gets there
 * first, take such an id, and the log's dedupe on record ids does the rest.
 */
function derivedRecordId(at: string, text: string): string {
  let id = ulidTime(Date.parse(at));
  // Two independent 64-bit FNV-1a hashes of the text give the 80 bits of the random part.
  for (const seed of [0xcbf29ce484222325n, 0x84222325cbf29ce4n]) {
    let hash = seed;
    for (const char of text) {
      hash = BigInt.asUintN(64, (hash ^ BigInt(char.codePointAt(0)!)) * 0x100000001b3n);
    }
    for (let i = 0; i < 8; i++, hash >>= 5n) id += crockfordBase32[Number(hash & 31n)];
  }
  return id;
}

/**
 * The id of a license's `created` record: a ULID whose time is the license's `createdAt` and whose
 * random part is a hash of its key. Whoever writes that record (the manager, or storage recovering
 * after a crash between the license and the log) writes the same id, so it is stored once.
 */
export function createdRecordId(license: { key: string; createdAt: string }): string {
  return derivedRecordId(license.createdAt, license.key.toUpperCase());
}

/**
 * The id of the `extended` record a renewal event leaves: the same for every delivery of the event,
 * so the record marks the renewal as applied and a redelivery extends nothing.
 */
export function renewalRecordId(event: PurchaseEvent): string {
  return derivedRecordId(event.occurredAt, `renewal\u0000${event.purchase.source}\u0000${event.eventId}`);
}
