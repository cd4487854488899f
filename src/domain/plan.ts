/** The terms a sale grants: how long, on how many devices, and how long a grace after expiry. */
export interface Plan {
  /** Length of one term in days; `null` for a perpetual license. */
  durationDays: number | null;
  /** Devices per seat; a sale of `quantity` seats allows `quantity × maxDevices`. */
  maxDevices: number;
  /** Days after expiry during which validation still passes with `GRACE_PERIOD` (default 0). */
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
