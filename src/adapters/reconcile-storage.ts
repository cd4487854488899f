import { createdRecordId, type LicenseRecord } from '../domain/audit-record.js';
import { licenseKeyIndex } from '../domain/license.js';
import type { Storage } from '../ports/storage.js';

/**
 * Repairs the one state a crash between the two halves of a storage can leave. licensekit writes a
 * license before the audit records that name it, so a process that dies in between leaves a license
 * that no record names. This appends its `created` record (reason `reconciled`, actor `licensekit`,
 * the id `createdRecordId` gives, so a writer still running cannot add a second one) and reports how
 * many it appended. It reads every license and the whole log: run it at start-up, not per request.
 */
export async function reconcileStorage({ licenses, purchases }: Storage): Promise<{ appended: number }> {
  const named = new Set<string>();
  for await (const record of purchases.scan()) {
    if (record.licenseKey !== null) named.add(licenseKeyIndex(record.licenseKey));
  }
  let appended = 0;
  for await (const license of licenses.list()) {
    if (named.has(licenseKeyIndex(license.key))) continue;
    const record: LicenseRecord = {
      kind: 'license',
      id: createdRecordId(license),
      recordedAt: license.createdAt,
      action: 'created',
      licenseKey: license.key,
      reason: 'reconciled',
      actor: 'licensekit',
    };
    if (await purchases.append(record)) appended++;
  }
  return { appended };
}
