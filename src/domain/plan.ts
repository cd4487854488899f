import { LicenseKitError } from './errors.js';

/** The terms a sale grants: how long, on how many devices, and how long a grace after expiry. */
export interface Plan {
  /** Length of one term in days (more than 0, at most 1,000,000); `null` for a perpetual license. */
  durationDays: number | null;
  /** Devices per seat, a whole number from 0; a sale of `quantity` seats allows `quantity × maxDevices`. */
  maxDevices: number;
  /** Days after expiry during which validation still passes with `GRACE_PERIOD` (0 to 1,000,000; default 0). */
  graceDays?: number;
}

/**
 * What a plan is chosen by. A `Purchase` is one; at validation time only the license's product and
 * store are known, so `tier` is `null` there and `quantity` is 1 (grace periods are per product).
 */
export interface PlanQuery {
  productId: string;
  tier: string | null;
  source: string;
  quantity: number;
}

/** Maps a product (and tier) to its {@link Plan}. */
export type PlanResolver = (query: PlanQuery) => Plan;

/** The default plan: perpetual, one device, no grace. */
export const defaultPlan: Plan = Object.freeze({ durationDays: null, maxDevices: 1, graceDays: 0 });

/** The longest term or grace in days (about 2,700 years): what a `Date` holds from any time. */
export const maxTermDays = 1_000_000;

/** Whether `value` is a number of days from `min` to {@link maxTermDays}. */
const isDays = (value: unknown, min: number) =>
  typeof value === 'number' && value >= min && value <= maxTermDays;

/**
 * Checks what a {@link PlanResolver} returned, so that a lookup that missed (`undefined`) or a
 * nonsense plan is `INVALID_PLAN` at once, not a `TypeError` or a license that never expires later.
 */
export function checkPlan(plan: Plan): Plan {
  if (
    !(
      (plan?.durationDays === null || (isDays(plan?.durationDays, 0) && plan.durationDays > 0)) &&
      Number.isSafeInteger(plan.maxDevices) &&
      plan.maxDevices >= 0 &&
      (plan.graceDays === undefined || isDays(plan.graceDays, 0))
    )
  ) {
    throw new LicenseKitError('INVALID_PLAN', 'plans() returned no valid plan');
  }
  return plan;
}
