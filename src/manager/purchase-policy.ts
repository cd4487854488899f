import type { PurchaseEventType } from '../domain/purchase.js';

/**
 * What a purchase event does to its license: `create` it (a sale), `revoke` or `suspend` it (with
 * `reason` as the status reason), `reinstate` a suspended one, `extend` it by the plan's term
 * (a renewal), `expire` it now, or only `record` the event in the audit log.
 */
export type PurchaseAction = 'create' | 'revoke' | 'suspend' | 'reinstate' | 'extend' | 'expire' | 'record';

/** One rule of the rulebook. */
export interface PurchaseRule {
  action: PurchaseAction;
  /** The license's `statusReason` for `revoke` and `suspend`. */
  reason?: string;
}

/** The status reason of a license revoked for a lost dispute, which a later won dispute lifts. */
export const chargebackReason = 'chargeback';

/** The rule for every event type. */
export type PurchasePolicy = Readonly<Record<PurchaseEventType, PurchaseRule>>;

/** Overrides of the default rulebook: a rule, or just an action. */
export type PurchasePolicyOverrides = Partial<Record<PurchaseEventType, PurchaseRule | PurchaseAction>>;

/**
 * The default rulebook: a sale creates; a refund revokes ('refunded'); a partial refund is recorded
 * only; a dispute suspends ('disputed') until it is won (reinstate) or lost (revoke, 'chargeback';
 * a dispute won later lifts that too);
 * a renewal extends; a cancellation is recorded (access runs to the end of the paid term); a
 * subscription that ends expires now; a restarted one is reinstated. A subscription created for a sale
 * (Lemon Squeezy sends it beside the order) creates like a sale: it finds the sale's license, when
 * the order came first, and links the subscription to it; it is not a payment.
 */
export const defaultPurchasePolicy: PurchasePolicy = Object.freeze({
  sale: { action: 'create' },
  refund: { action: 'revoke', reason: 'refunded' },
  partial_refund: { action: 'record' },
  dispute: { action: 'suspend', reason: 'disputed' },
  dispute_won: { action: 'reinstate' },
  dispute_lost: { action: 'revoke', reason: chargebackReason },
  renewal: { action: 'extend' },
  cancellation: { action: 'record' },
  subscription_ended: { action: 'expire' },
  subscription_restarted: { action: 'reinstate' },
  subscription_created: { action: 'create' },
});

/** The default rulebook with `overrides` applied. */
export function resolvePolicy(overrides: PurchasePolicyOverrides = {}): PurchasePolicy {
  const policy: Record<string, PurchaseRule> = { ...defaultPurchasePolicy };
  for (const [type, rule] of Object.entries(overrides)) {
    if (rule !== undefined) policy[type] = typeof rule === 'string' ? { action: rule } : rule;
  }
  return policy as PurchasePolicy;
}
