import type { PurchaseAuditLog } from '../audit/purchase-audit-log.js';
import type { Purchase } from '../domain/purchase.js';

/**
 * The purchase of a license's sale, from the log's first `sale` record naming the license; `null`
 * for a license without one. Reads the log: for rare paths (a resent email, a renewal that names no
 * tier), never per validation.
 */
export async function salePurchaseOf(audit: PurchaseAuditLog, licenseKey: string): Promise<Purchase | null> {
  const sales = audit.query({ kind: 'purchase', type: 'sale', licenseKey, includeTest: true });
  for await (const record of sales) if (record.kind === 'purchase') return record.event.purchase;
  return null;
}
