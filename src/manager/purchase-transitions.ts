import type { Clock } from '../domain/clock.js';
import type { License } from '../domain/license.js';
import type { Plan } from '../domain/plan.js';
import type { PurchaseEvent } from '../domain/purchase.js';
import { chargebackReason, type PurchaseRule } from './purchase-policy.js';

const dayMs = 86_400_000;

/**
 * The license after `rule` is applied for `event`; the same object when nothing changes. Every
 * transition but `extend` is idempotent, so applying an event again (after a crash before it was
 * recorded) changes nothing. A renewal adds a term each time it is applied: the caller applies it
 * once per event (see `renewalRecordId`).
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
      // A won dispute also lifts a revocation for a chargeback (Paddle revokes on the chargeback and
      // reverses it when it wins); a refund's revocation stays.
      const reversedChargeback =
        event.type === 'dispute_won' &&
        license.status === 'revoked' &&
        license.statusReason === chargebackReason;
      const active: License =
        license.status === 'suspended' || reversedChargeback
          ? { ...license, status: 'active', statusReason: null }
          : license;
      // A restarted subscription whose license lapsed gets the plan's term again (none on a
      // perpetual plan), unless it stays revoked; a won dispute only lifts the block, so time that
      // ran out stays out.
      const lapsed =
        event.type === 'subscription_restarted' &&
        active.status === 'active' &&
        active.expiresAt !== null &&
        Date.parse(active.expiresAt) <= now;
      if (!lapsed) return active;
      const { durationDays } = plan;
      return {
        ...active,
        expiresAt: durationDays === null ? null : new Date(now + durationDays * dayMs).toISOString(),
      };
    }
    case 'extend': {
      if (plan.durationDays === null || license.expiresAt === null) return license;
      // From the latest of now, the expiry and the payment: time already paid for is never lost,
      // whether an admin extended the license or the customer renewed early.
      const from = Math.max(now, Date.parse(license.expiresAt), Date.parse(event.occurredAt));
      return { ...license, expiresAt: new Date(from + plan.durationDays * dayMs).toISOString() };
    }
    case 'expire':
      return license.expiresAt !== null && Date.parse(license.expiresAt) <= now
        ? license
        : { ...license, expiresAt: new Date(now).toISOString() };
    default:
      return license;
  }
}

/**
 * Whether `license` is already as `rule` leaves it: revoked, suspended, active, or expired. A renewal
 * always holds: a license without a term has nothing to extend.
 */
export function ruleHolds(rule: PurchaseRule, license: License, clock: Clock): boolean {
  switch (rule.action) {
    case 'revoke':
      return license.status === 'revoked';
    case 'suspend':
      return license.status === 'suspended';
    case 'reinstate':
      return license.status === 'active';
    case 'expire':
      return license.expiresAt !== null && Date.parse(license.expiresAt) <= clock().getTime();
    case 'extend':
      return true;
    default:
      return false;
  }
}
