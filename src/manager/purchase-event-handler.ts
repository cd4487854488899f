import type { PurchaseAuditLog } from '../audit/purchase-audit-log.js';
import {
  createdRecordId,
  type LicenseAction,
  type LicenseRecord,
  renewalRecordId,
} from '../domain/audit-record.js';
import type { Clock } from '../domain/clock.js';
import type { License } from '../domain/license.js';
import { defaultPlan, type Plan, type PlanResolver } from '../domain/plan.js';
import {
  type Purchase,
  type PurchaseEvent,
  parsePurchaseEvent,
  unknownProductId,
} from '../domain/purchase.js';
import type { Storage } from '../ports/storage.js';
import { KeyedQueue } from './_keyed-queue.js';
import type { LicenseDelivery } from './license-delivery.js';
import type { PurchaseAction, PurchasePolicy, PurchaseRule } from './purchase-policy.js';
import { applyRule, ruleHolds } from './purchase-transitions.js';
import { refundAsBooked } from './refund-as-booked.js';
import { salePurchaseOf } from './sale-purchase.js';

/** What handling a purchase event did. */
export type PurchaseEventAction =
  | 'created'
  | 'duplicate'
  | 'revoked'
  | 'suspended'
  | 'reinstated'
  | 'renewed'
  | 'expired'
  | 'recorded'
  | 'ignored';

/** The outcome of `LicenseManager.handlePurchaseEvent`: what happened and the license it concerns. */
export interface PurchaseEventResult {
  action: PurchaseEventAction;
  license: License | null;
}

/** What {@link PurchaseEventHandler} needs from the manager. */
export interface PurchaseEventHandlerOptions {
  storage: Storage;
  audit: PurchaseAuditLog;
  delivery: LicenseDelivery;
  clock: Clock;
  plans: PlanResolver;
  policy: PurchasePolicy;
  processTestPurchases: boolean;
  newLicense(purchase: Purchase, plan: Plan): License;
}

const results: Record<Exclude<PurchaseAction, 'create' | 'record'>, [PurchaseEventAction, LicenseAction]> = {
  revoke: ['revoked', 'revoked'],
  suspend: ['suspended', 'suspended'],
  reinstate: ['reinstated', 'reinstated'],
  extend: ['renewed', 'extended'],
  expire: ['expired', 'extended'],
};

const subscriptionEvents = new Set([
  'renewal',
  'cancellation',
  'subscription_ended',
  'subscription_restarted',
]);

/**
 * Applies purchase events by the rulebook, idempotently. Order of writes: the license first, then the
 * purchase record, then the license's `created` record (whose id is derived from the key), then the
 * email; each step is idempotent, so a store's retry after a crash completes what is missing and
 * nothing twice (a redelivery writes a missing `created` record too). A renewal's `extended` record
 * (its id derived from the event) marks it applied.
 * A refund or dispute for a sale not seen yet stores the sale's license already revoked or suspended
 * (from the event's own purchase data), so the sale, when it arrives, finds it and is born that way.
 */
export class PurchaseEventHandler {
  readonly #o: PurchaseEventHandlerOptions;
  /** Copies of one event (same `source` and event id) are handled one at a time. */
  readonly #perEvent = new KeyedQueue();

  constructor(options: PurchaseEventHandlerOptions) {
    this.#o = options;
  }

  /**
   * Handles `input`. Concurrent copies of one event (a store retrying while the first delivery is
   * still being handled), concurrent events that create one sale's license, and concurrent refunds
   * of one payment reported as running totals, run one after the other in this process, so the later
   * ones find the first handled.
   */
  async handle(input: PurchaseEvent): Promise<PurchaseEventResult> {
    const event = parsePurchaseEvent(input);
    return this.#perEvent.run(this.#queueKey(event), () => this.#handle(event));
  }

  /**
   * Issues `candidate` for `createLicense`: with a sale event, in that sale's queue, so that the
   * store's webhook of the same sale arriving meanwhile finds it handled (one license, one sale).
   */
  create(candidate: License, event: PurchaseEvent | null): Promise<PurchaseEventResult> {
    const issue = () => this.#issue(candidate, event, 'createLicense');
    return event ? this.#perEvent.run(saleQueueKey(event), issue) : issue();
  }

  /** The queue an event waits in: one per sale for creating events, per payment for running totals. */
  #queueKey(event: PurchaseEvent): string {
    const { source } = event.purchase;
    if (this.#o.policy[event.type].action === 'create') return saleQueueKey(event);
    // Refunds of one payment, or partial refunds of one sale, add up: one at a time.
    const payment = event.refundTotal?.payment ?? (event.type === 'partial_refund' && event.purchase.saleId);
    return payment ? `${source}\u0000refunds\u0000${payment}` : `${source}\u0000${event.eventId}`;
  }

  async #handle(input: PurchaseEvent): Promise<PurchaseEventResult> {
    const { storage, audit, policy } = this.#o;
    const seen = await storage.purchases.has({
      kind: 'purchase',
      id: 'probe',
      recordedAt: input.occurredAt,
      event: input,
      licenseKey: null,
    });
    if (seen) return this.#duplicate(input, await this.#find(input));
    const event = await refundAsBooked(this.#o.storage.purchases, input);
    if (event.purchase.isTest && !this.#o.processTestPurchases) {
      await audit.recordPurchase(event, null);
      return { action: 'ignored', license: null };
    }
    const rule = policy[event.type];
    if (rule.action === 'create') {
      return this.#issue(
        this.#o.newLicense(event.purchase, this.#seats(event.purchase)),
        event,
        event.purchase.source,
      );
    }
    return this.#apply(event, rule);
  }

  /** Stores a new license (idempotent on its sale), records it and emails it. */
  async #issue(candidate: License, event: PurchaseEvent | null, actor: string): Promise<PurchaseEventResult> {
    const { storage, audit, delivery } = this.#o;
    const inserted = await storage.licenses.insert(candidate);
    const created = inserted.created;
    const license = created ? inserted.license : await this.#settle(inserted.license, candidate);
    // Another sale event of a sale already in the books (two store events for one checkout, or the
    // webhook of a sale entered by `createLicense` or imported) is not a second sale. Only a sale
    // that finds its license stored already pays for this look at the log.
    if (!created && event?.type === 'sale' && (await this.#saleBooked(event, license))) {
      return this.#duplicate(event, license);
    }
    if (event) await audit.recordPurchase(event, license.key);
    const firstRecord = await this.#recordCreated(license, event, actor);
    if (!created && !firstRecord) return this.#duplicate(event, license);
    const delivered =
      license.status === 'revoked'
        ? license
        : await delivery.deliver(license, event?.purchase ?? null, actor);
    return { action: license.status === 'active' ? 'created' : license.status, license: delivered };
  }

  /**
   * The sale's license, stored already, after `candidate` (the license this event would issue) is
   * taken into account. A license stored early, by a refund or dispute that came before its sale
   * (without a `created` record; revoked or suspended, or reinstated already by a dispute won but
   * still without the product or email the event lacked), was built from that event's data: it takes
   * the sale's product, customer, seats and term, and keeps its key and status. A later event of a sale that names the sale's subscription (Lemon Squeezy's
   * `subscription_created`, which comes beside an `order_created` that names none) links it to the
   * license, so renewals and cancellations find it; a license linked already keeps its subscription.
   */
  async #settle(license: License, candidate: License): Promise<License> {
    const early =
      (license.status !== 'active' || lacksSaleData(license)) &&
      !(await this.#hasLicenseRecord('created', createdRecordId(license), license.key));
    const { subscriptionId } = candidate;
    if (!early && (subscriptionId === null || license.subscriptionId !== null)) return license;
    const settled = await this.#o.storage.licenses.update(license.key, (current) => {
      const linked = current.subscriptionId ?? subscriptionId;
      if (early) {
        const { productId, email, customerName, maxDevices, expiresAt } = candidate;
        return { ...current, productId, email, customerName, maxDevices, expiresAt, subscriptionId: linked };
      }
      return linked === current.subscriptionId ? current : { ...current, subscriptionId: linked };
    });
    return settled ?? license;
  }

  /** The license's `created` record (its id derived from the license, so it is written once). */
  #recordCreated(license: License, event: PurchaseEvent | null, actor: string): Promise<boolean> {
    return this.#o.audit.recordLicenseAction('created', license.key, {
      id: createdRecordId(license),
      reason: event ? `${event.purchase.source} ${event.type}` : 'manual',
      actor,
    });
  }

  /** Whether the log holds a `sale` record of `event`'s sale for `license`. */
  async #saleBooked(event: PurchaseEvent, license: License): Promise<boolean> {
    const { source, saleId } = event.purchase;
    const sales = this.#o.storage.purchases.scan({
      kind: 'purchase',
      type: 'sale',
      source,
      licenseKey: license.key,
    });
    for await (const record of sales) {
      if (record.kind === 'purchase' && record.event.purchase.saleId === saleId) return true;
    }
    return false;
  }

  /**
   * A redelivered sale also retries an email that failed before, and writes the `created` record a
   * crash may have left out.
   */
  async #duplicate(event: PurchaseEvent | null, license: License | null): Promise<PurchaseEventResult> {
    const isSale = event === null || this.#o.policy[event.type].action === 'create';
    if (!license || !isSale) return { action: 'duplicate', license };
    const actor = event?.purchase.source ?? 'createLicense';
    await this.#recordCreated(license, event, actor);
    if (license.status === 'revoked') return { action: 'duplicate', license };
    const delivered = await this.#o.delivery.deliver(license, event?.purchase ?? null, actor);
    return { action: 'duplicate', license: delivered };
  }

  async #apply(event: PurchaseEvent, rule: PurchaseRule): Promise<PurchaseEventResult> {
    const { storage, audit } = this.#o;
    let license = await this.#find(event);
    if (!license && (rule.action === 'revoke' || rule.action === 'suspend')) {
      // The event's own purchase gives the terms, until the sale gives its own (see #settle); a
      // refund names no tier, so a plan found by tier alone may be none: the default then.
      let plan: Plan = defaultPlan;
      try {
        plan = this.#seats(event.purchase);
      } catch {}
      const early = applyRule(rule, this.#o.newLicense(event.purchase, plan), event, plan, this.#o.clock);
      const inserted = await storage.licenses.insert(early);
      if (inserted.created) {
        await audit.recordPurchase(event, inserted.license.key);
        return { action: 'recorded', license: inserted.license };
      }
      license = inserted.license; // the sale arrived meanwhile: apply the rule to its license
    }
    if (!license) {
      await audit.recordPurchase(event, null);
      return { action: 'recorded', license };
    }
    const filed = filedUnder(event, license);
    if (rule.action === 'record' || rule.action === 'create') {
      await audit.recordPurchase(filed, license.key);
      return { action: 'recorded', license };
    }
    // The license's product and its sale's tier decide the term of the rules that give one: a
    // renewal or restart may name neither (a Stripe invoice carries no Checkout metadata), so the
    // tier comes from the sale then (a read of the log).
    const { tier } = event.purchase;
    const plan =
      rule.action === 'extend' || rule.action === 'reinstate'
        ? this.#o.plans({
            ...event.purchase,
            productId: license.productId,
            tier: tier ?? (await salePurchaseOf(audit, license.key))?.tier ?? null,
          })
        : defaultPlan;
    // A renewal adds a term, so it must apply once: its `extended` record, with an id derived from
    // the event, is written right after the extension and marks it applied.
    const renewalId = rule.action === 'extend' ? renewalRecordId(event) : undefined;
    if (renewalId && (await this.#hasLicenseRecord('extended', renewalId, license.key))) {
      const recorded = await audit.recordPurchase(filed, license.key);
      return { action: recorded ? 'renewed' : 'duplicate', license };
    }
    let changed = false;
    const next = await storage.licenses.update(license.key, (current) => {
      const updated = applyRule(rule, current, event, plan, this.#o.clock);
      changed = updated !== current;
      return updated;
    });
    const [action, record] = results[rule.action];
    if (changed && next) {
      const reason = rule.action === 'extend' ? `until ${next.expiresAt}` : (rule.reason ?? event.type);
      await audit.recordLicenseAction(record, license.key, {
        id: renewalId,
        reason,
        actor: event.purchase.source,
      });
    }
    // Of concurrent copies of one event, the one whose record is stored reports the action. An event
    // that left the license otherwise than its rule does (a dispute won for a refunded license) is
    // reported as only recorded.
    const recorded = await audit.recordPurchase(filed, license.key);
    const took = changed || (next !== null && ruleHolds(rule, next, this.#o.clock));
    return { action: !recorded ? 'duplicate' : took ? action : 'recorded', license: next ?? license };
  }

  /** Whether the log holds the license record with this id. */
  #hasLicenseRecord(action: LicenseAction, id: string, licenseKey: string): Promise<boolean> {
    const probe: LicenseRecord = {
      kind: 'license',
      id,
      recordedAt: this.#o.clock().toISOString(),
      action,
      licenseKey,
      reason: null,
      actor: null,
    };
    return this.#o.storage.purchases.has(probe);
  }

  /** Subscription events find the license by subscription, sale events by sale, each falling back to the other. */
  async #find(event: PurchaseEvent): Promise<License | null> {
    const { source, saleId, subscriptionId } = event.purchase;
    const licenses = this.#o.storage.licenses;
    const bySale = () => licenses.getByPurchase(source, saleId);
    // The subscription's current license: the active one that runs longest. A system that issued a
    // key per payment (as the legacy import keeps them) leaves several.
    const bySubscription = async () => {
      let current: License | null = null;
      if (subscriptionId === null) return current;
      for await (const license of licenses.list({ purchaseSource: source, subscriptionId })) {
        if (current === null || endOf(license) >= endOf(current)) current = license;
      }
      return current;
    };
    return subscriptionEvents.has(event.type)
      ? ((await bySubscription()) ?? (await bySale()))
      : ((await bySale()) ?? (await bySubscription()));
  }

  /** The plan of a sale with its seats multiplied by the quantity bought. */
  #seats(purchase: Purchase): Plan {
    const plan = this.#o.plans(purchase);
    return { ...plan, maxDevices: purchase.quantity * plan.maxDevices };
  }
}

/**
 * How long `license` runs, to find a subscription's current one: an active license before any other,
 * then the later expiry (none is later than any date; a `Date` ends before 9e15 ms).
 */
function endOf(license: License): number {
  const end = license.expiresAt === null ? 9e15 : Date.parse(license.expiresAt);
  return license.status === 'active' ? end + 2e16 : end;
}

/** Whether `license` lacks what only its sale can give: a product or an email. */
function lacksSaleData(license: License): boolean {
  return license.productId === unknownProductId || license.email === '';
}

/**
 * `event` booked under its license's product when the store's payload named none (a Stripe refund, a
 * Lemon Squeezy renewal invoice, a Paddle adjustment), so the books show refunds and renewals per
 * product. A placeholder product name becomes empty: product names come from the events that have one.
 */
function filedUnder(event: PurchaseEvent, license: License): PurchaseEvent {
  const { purchase } = event;
  if (purchase.productId !== unknownProductId) return event;
  const productName = purchase.productName === unknownProductId ? '' : purchase.productName;
  return { ...event, purchase: { ...purchase, productId: license.productId, productName } };
}

/** The queue of the events that create `event`'s sale's license. */
function saleQueueKey(event: PurchaseEvent): string {
  return `${event.purchase.source}\u0000sale\u0000${event.purchase.saleId}`;
}
