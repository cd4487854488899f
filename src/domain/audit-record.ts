import { z } from 'zod';
import { parseWith } from './_parse.js';
import { isoTimestamp, nonEmpty } from './_schema-parts.js';
import { type PurchaseEvent, purchaseEventSchema } from './purchase.js';

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

/** @internal zod schema of {@link AuditRecord}. */
export const auditRecordSchema: z.ZodType<AuditRecord> = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('purchase'),
    id: nonEmpty,
    recordedAt: isoTimestamp,
    event: purchaseEventSchema,
    licenseKey: z.string().nullable(),
  }),
  z.strictObject({
    kind: z.literal('license'),
    id: nonEmpty,
    recordedAt: isoTimestamp,
    action: z.enum(licenseActions as [LicenseAction, ...LicenseAction[]]),
    licenseKey: nonEmpty,
    reason: z.string().nullable(),
    actor: z.string().nullable(),
  }),
]);

/** Checks that `input` is a well-formed {@link AuditRecord}; throws `INVALID_INPUT` listing the issues. */
export function parseAuditRecord(input: unknown): AuditRecord {
  return parseWith(auditRecordSchema, input, 'audit record');
}

/**
 * The key a purchase log deduplicates on: `source + eventId` for purchase records, so a redelivered
 * webhook is recorded once; license records carry no dedupe key and are always appended.
 */
export function auditDedupeKey(record: AuditRecord): string | null {
  return record.kind === 'purchase' ? `${record.event.purchase.source}\u0000${record.event.eventId}` : null;
}
