/**
 * The purchase half of the legacy mapping: one `purchases.jsonl` line → its `sale` event and, when
 * flagged, its `refund` and `dispute` events. The decisions are listed in `legacy-import.ts`.
 */
import {
  currencyExponent,
  type License,
  type PurchaseEvent,
  type PurchaseEventType,
  parseDecimalToMinorUnits,
  parsePurchaseEvent,
} from '../index.js';
import { errorText } from './command.js';
import type { LegacyMappingOptions, Mapped } from './legacy-import.js';
import { count, flag, isMissing, type LegacyObject, legacyDate, shown, text } from './legacy-values.js';

/** The events of one purchase line and the license key its records name. */
export interface LegacySale {
  /** `source` + NUL + `sale_id`: a second line with the same value is a duplicate. */
  saleKey: string;
  /** The sale first, then its refund and dispute when flagged. */
  events: PurchaseEvent[];
  licenseKey: string;
  refunded: boolean;
  /**
   * True when the line named no `source` and got one elsewhere (its license, or another line of its
   * sale): an earlier import, which did not know it yet, may have recorded the same events under the
   * source `legacy`.
   */
  sourceFromLicense: boolean;
}

/** The product name of lines that have none. */
export const unknownProductName = 'unknown product';

/**
 * Maps one parsed purchase line. `license` is the imported license its key names (matched
 * case-insensitively), if any: it supplies the stored key text and fallbacks for missing fields.
 * `saleSource` is the source another line of the same key and sale names, for a line that names
 * none and whose license gives none.
 */
export function mapLegacyPurchase(
  line: LegacyObject,
  license: License | undefined,
  options: LegacyMappingOptions,
  saleSource?: string,
): Mapped<LegacySale> {
  const key = text(line.license_key);
  if (key === null) return { ok: false, reason: 'no license_key' };
  const saleId = text(line.sale_id);
  if (saleId === null) return { ok: false, reason: 'no sale_id' };
  if (isMissing(line.price)) return { ok: false, reason: 'no price' };
  const notes: string[] = [];
  const currencyText = text(line.currency)?.toUpperCase() ?? null;
  if (currencyText === null) notes.push('no currency: taken as USD');
  const currency = currencyText ?? 'USD';
  let amount: number;
  try {
    currencyExponent(currency);
    amount = parseDecimalToMinorUnits(text(line.price) ?? '', currency);
  } catch (error) {
    return { ok: false, reason: `price ${shown(line.price)} ${currency}: ${errorText(error)}` };
  }
  if (amount < 0) return { ok: false, reason: `price ${shown(line.price)} is negative` };

  let purchasedAt =
    legacyDate(line.purchase_date) ?? legacyDate(line.timestamp) ?? license?.createdAt ?? null;
  if (purchasedAt === null) {
    notes.push('no readable purchase_date or timestamp: dated at the time of the import');
    purchasedAt = options.now;
  }
  const productName = text(line.product_name);
  if (productName === null) notes.push(`no product_name: named "${unknownProductName}"`);
  const productId = text(line.product_id);
  if (productId === null) notes.push(`no product_id: product "${options.productId}" (set it with --product)`);
  const given = text(line.source)?.toLowerCase() ?? null;
  const source =
    given ??
    (license !== undefined && license.purchaseSource !== 'legacy' ? license.purchaseSource : null) ??
    saleSource ??
    'legacy';
  const purchase: PurchaseEvent['purchase'] = {
    source,
    saleId,
    email: text(line.email)?.toLowerCase() ?? license?.email ?? '',
    customerName: text(line.customer_name) ?? license?.customerName ?? '',
    customerId: text(line.customer_id),
    productId: productId ?? options.productId,
    productName: productName ?? unknownProductName,
    tier: text(line.tier),
    amount,
    currency,
    quantity: Math.max(1, count(line.quantity) ?? 1),
    purchasedAt,
    isTest: false,
    isRecurring: flag(line.is_recurring) ?? false,
    subscriptionId: text(line.subscription_id),
    sourceLicenseKey: text(line.source_license_key),
  };
  const refunded = flag(line.is_refunded) === true;
  const types: PurchaseEventType[] = ['sale'];
  if (refunded) types.push('refund');
  if (flag(line.is_disputed) === true) types.push('dispute');
  try {
    const events = types.map((type) =>
      parsePurchaseEvent({
        type,
        eventId: legacyEventId(source, saleId, type),
        occurredAt: purchasedAt,
        purchase,
      }),
    );
    return {
      ok: true,
      notes,
      value: {
        saleKey: `${source}\u0000${saleId}`,
        events,
        licenseKey: license?.key ?? key,
        refunded,
        sourceFromLicense: given === null && source !== 'legacy',
      },
    };
  } catch (error) {
    return { ok: false, reason: errorText(error) };
  }
}

/**
 * The event id of a legacy line's event. A Gumroad sale's events take the id the Gumroad normalizer
 * gives the same ping (`gumroad:<sale_id>:<resource_name>`), so a ping Gumroad sends again after the
 * import is a redelivery, not a second refund; other sources take `legacy:<sale_id>:<type>`.
 */
export function legacyEventId(source: string, saleId: string, type: PurchaseEventType): string {
  return source === 'gumroad' ? `gumroad:${saleId}:${type}` : `legacy:${saleId}:${type}`;
}
