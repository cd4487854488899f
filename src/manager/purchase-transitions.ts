import type { Clock } from '../domain/clock.js';
import type { License } from '../domain/license.js';
import type { Plan } from '../domain/plan.js';
import type { PurchaseEvent } from '../domain/purchase.js';
import type { PurchaseRule } from './purchase-policy.js';

const dayMs = 86_400_000;

/**
 * The license after `rule` is applied for `event`; the same object when nothing changes. Each
 * transition is idempotent, so applying an event again (after a crash before it was recorded)
 * changes nothing: a renewal extends only while the expiry is short of the event's paid term.
 */
export function applyRule(
  rule: PurchaseRule,
  license: License,
  event: PurchaseEvent,
  plan: Plan,
  clock: Clock,
): License {
  const now = clock().getTime();
  switch (rule.action) {
    case 'revoke':
      return license.status === 'revoked'
        ? license
        : { ...license, status: 'revoked', statusReason: rule.reason ?? event.type };
    case 'suspend':
      return license.status === 'active'
        ? { ...license, status: 'suspended', statusReason: rule.reason ?? event.type }
        : license;
    case 'reinstate': {
      const active: License =
        license.status === 'suspended' ? { ...license, status: 'active', statusReason: null } : license;
      const lapsed = active.expiresAt !== null && Date.parse(active.expiresAt) < now;
      return lapsed && plan.durationDays !== null
        ? { ...active, expiresAt: new Date(now + plan.durationDays * dayMs).toISOString() }
        : active;
    }
    case 'extend': {
      if (plan.durationDays === null || license.expiresAt === null) return license;
      const term = plan.durationDays * dayMs;
      const expiresAt = Date.parse(license.expiresAt);
      const paidAt = Date.parse(event.occurredAt);
      if (expiresAt >= paidAt + term) return license;
      // From the latest of now, the expiry and the payment: the result is never short of
      // `paidAt + term`, so the check above makes a second application of this event a no-op.
      return { ...license, expiresAt: new Date(Math.max(now, expiresAt, paidAt) + term).toISOString() };
    }
    case 'expire':
      return license.expiresAt !== null && Date.parse(license.expiresAt) <= now
        ? license
        : { ...license, expiresAt: new Date(now).toISOString() };
    default:
      return license;
  }
}
