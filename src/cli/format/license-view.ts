import type { AuditRecord, License } from '../../index.js';
import { money } from './money.js';
import { shortTime } from './table.js';

/** The status with its reason: `revoked (refunded)`. */
export function statusText(license: License): string {
  return license.statusReason === null ? license.status : `${license.status} (${license.statusReason})`;
}

/** The expiry as `never`, or the timestamp (just the date when `short`), marked when it has passed. */
export function expiryText(license: License, short = false): string {
  if (license.expiresAt === null) return short ? 'never' : 'never (perpetual)';
  const when = short ? license.expiresAt.slice(0, 10) : license.expiresAt;
  return Date.parse(license.expiresAt) <= Date.now() ? `${when} (expired)` : when;
}

/** Every field of a license as aligned `Label  value` lines (devices one per line). */
export function licenseLines(license: License): string[] {
  const fields: [string, string][] = [
    ['Key', license.key],
    ['Status', statusText(license)],
    ['Product', license.productId],
    ['Customer', `${license.customerName || '—'} <${license.email || 'no email'}>`],
    ['Created', license.createdAt],
    ['Expires', expiryText(license)],
    ['Seats', `${license.devices.length} of ${license.maxDevices} in use`],
    ...license.devices.map((device): [string, string] => [
      '  device',
      `${device.hardwareId}${device.deviceName ? ` "${device.deviceName}"` : ''}, since ` +
        `${shortTime(device.activatedAt)}, last seen ${shortTime(device.lastSeenAt)}`,
    ]),
    ['Validated', `${license.validationCount} times, last ${license.lastValidatedAt ?? 'never'}`],
    ['Sale', `${license.purchaseSource} ${license.purchaseId}`],
    ['Subscription', license.subscriptionId ?? '—'],
    ['Email sent', license.deliveredAt ?? 'not sent'],
  ];
  const width = Math.max(...fields.map(([label]) => label.length));
  return fields.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
}

/** One audit record as a history line: when, what, money or reason, and who. */
export function historyLine(record: AuditRecord): string {
  if (record.kind === 'purchase') {
    const { event } = record;
    const { purchase } = event;
    return (
      `${shortTime(event.occurredAt)}  ${event.type} on ${purchase.source} (sale ${purchase.saleId}), ` +
      money(purchase.amount, purchase.currency)
    );
  }
  const why = record.reason === null ? '' : `: ${record.reason}`;
  const who = record.actor === null ? '' : ` by ${record.actor}`;
  return `${shortTime(record.recordedAt)}  ${record.action}${why}${who}`;
}
