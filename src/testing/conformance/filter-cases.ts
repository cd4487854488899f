/** Storage conformance cases for what list and scan filters match: fields as updated, undefined fields. */
import type { AuditRecord } from '../../domain/audit-record.js';
import type { License } from '../../domain/license.js';
import type { AuditFilter, LicenseFilter } from '../../ports/storage.js';
import { assertEqual } from '../_assert.js';
import { licenseFixture, licenseRecordFixture, purchaseRecordFixture } from '../fixtures.js';
import type { StorageConformanceCase } from '../storage-conformance.js';
import { at, collect, describeFilter, idsOf, keysOf, pick } from './_helpers.js';

/**
 * `list-filters-follow-updates`: `list` filters match a license's email, productId, subscriptionId and
 * status as `update` left them, not as they were inserted: filter columns or index entries written at
 * insert must be rewritten (and the old ones dropped) by every update.
 */
export const listFiltersFollowUpdates: StorageConformanceCase = {
  id: 'list-filters-follow-updates',
  title: 'list filters match the fields as updated, not as inserted',
  run: async ({ storage }) => {
    const { licenses } = storage;
    const common = { purchaseSource: 'lemonsqueezy', email: 'before@example.com', productId: 'app' };
    const moved = licenseFixture({ ...common });
    const unlinked = licenseFixture({
      ...common,
      subscriptionId: 'sub_old',
      status: 'suspended',
      statusReason: 'manual',
    });
    const untouched = licenseFixture({ ...common, subscriptionId: 'sub_old' });
    for (const license of [moved, unlinked, untouched]) await licenses.insert(license);
    assertEqual(
      keysOf(await collect(() => licenses.list({ subscriptionId: 'sub_old' }))),
      keysOf([unlinked, untouched]),
      'list({ subscriptionId: sub_old }) before the updates',
    );

    // Two updates of one license, so a filter must follow the latest value, not the first new one.
    await licenses.update(moved.key, (current) => ({
      ...current,
      email: 'after@example.com',
      productId: 'pro',
      subscriptionId: 'sub_mid',
    }));
    await licenses.update(moved.key, (current) => ({
      ...current,
      subscriptionId: 'sub_new',
      status: 'suspended',
      statusReason: 'manual',
    }));
    await licenses.update(unlinked.key, (current) => ({
      ...current,
      subscriptionId: null,
      status: 'active',
      statusReason: null,
    }));
    const a: License = {
      ...moved,
      email: 'after@example.com',
      productId: 'pro',
      subscriptionId: 'sub_new',
      status: 'suspended',
      statusReason: 'manual',
    };
    const b: License = { ...unlinked, subscriptionId: null, status: 'active', statusReason: null };
    const c = untouched;
    const expectations: Array<[LicenseFilter, License[]]> = [
      [{ email: 'before@example.com' }, [b, c]],
      [{ email: 'after@example.com' }, [a]],
      [{ productId: 'app' }, [b, c]],
      [{ productId: 'pro' }, [a]],
      [{ subscriptionId: 'sub_old' }, [c]],
      [{ subscriptionId: 'sub_mid' }, []],
      [{ subscriptionId: 'sub_new' }, [a]],
      [{ status: 'active' }, [b, c]],
      [{ status: 'suspended' }, [a]],
      [{ purchaseSource: 'lemonsqueezy' }, [a, b, c]],
      [{ purchaseSource: 'lemonsqueezy', subscriptionId: 'sub_new' }, [a]],
      [{ email: 'after@example.com', productId: 'pro', status: 'suspended' }, [a]],
      [{ email: 'before@example.com', productId: 'pro' }, []],
      [{ email: 'after@example.com', status: 'active' }, []],
    ];
    for (const [filter, expected] of expectations) {
      assertEqual(
        await collect(() => licenses.list(filter)),
        expected,
        `list(${describeFilter(filter)}) after updating the fields it filters on`,
      );
    }
  },
};

/** The licenses of the undefined-fields case. */
function undefinedFieldLicenses(): License[] {
  return [
    licenseFixture({ productId: 'app' }),
    licenseFixture({ productId: 'pro' }),
    licenseFixture({
      productId: 'app',
      status: 'suspended',
      statusReason: 'manual',
      purchaseSource: 'stripe',
      subscriptionId: 'sub_1',
    }),
  ];
}

/** The records of the undefined-fields case: two purchases and a license record, on days 1 to 3. */
function undefinedFieldRecords(licenseKey: string): AuditRecord[] {
  return [
    purchaseRecordFixture({ recordedAt: at(1), licenseKey, event: { purchase: { productId: 'app' } } }),
    licenseRecordFixture({ licenseKey, recordedAt: at(2) }),
    purchaseRecordFixture({
      recordedAt: at(3),
      event: { type: 'refund', purchase: { source: 'stripe', productId: 'pro' } },
    }),
  ];
}

/**
 * `filters-ignore-undefined-fields`: A filter field that is present but `undefined` (as in
 * `{ email: undefined, productId: 'app' }`, which callers build from optional inputs) sets no
 * condition, for `list` and for `scan`: it is not "the field must be undefined" or `IS NULL`.
 */
export const filtersIgnoreUndefinedFields: StorageConformanceCase = {
  id: 'filters-ignore-undefined-fields',
  title: 'list and scan ignore filter fields that are present but undefined',
  run: async ({ storage }) => {
    const { licenses, purchases } = storage;
    const stored = undefinedFieldLicenses();
    for (const license of stored) await licenses.insert(license);
    const [first] = stored;
    const listExpectations: Array<[LicenseFilter, number[]]> = [
      [
        {
          email: undefined,
          productId: undefined,
          status: undefined,
          purchaseSource: undefined,
          subscriptionId: undefined,
        },
        [0, 1, 2],
      ],
      [{ email: undefined, productId: 'app' }, [0, 2]],
      [{ productId: 'app', status: undefined, subscriptionId: 'sub_1' }, [2]],
      [{ email: first!.email, purchaseSource: undefined, subscriptionId: undefined }, [0]],
    ];
    for (const [filter, indexes] of listExpectations) {
      assertEqual(
        keysOf(await collect(() => licenses.list(filter))),
        keysOf(pick(stored, indexes)),
        `list(${describeFilter(filter)})`,
      );
    }

    const records = undefinedFieldRecords(first!.key);
    for (const record of records) await purchases.append(record);
    const scanExpectations: Array<[AuditFilter, number[]]> = [
      [
        {
          kind: undefined,
          source: undefined,
          type: undefined,
          action: undefined,
          licenseKey: undefined,
          email: undefined,
          productId: undefined,
          since: undefined,
          until: undefined,
        },
        [0, 1, 2],
      ],
      // The shape of a query built from optional command-line options, none of them given.
      [
        { kind: 'purchase', source: undefined, email: undefined, productId: undefined, type: undefined },
        [0, 2],
      ],
      [{ action: 'created', kind: undefined, licenseKey: undefined }, [1]],
      [{ source: 'stripe', since: undefined, until: undefined }, [2]],
      [{ licenseKey: first!.key, type: undefined, action: undefined, email: undefined }, [0, 1]],
      [{ since: at(2), until: undefined, productId: undefined }, [1, 2]],
    ];
    for (const [filter, indexes] of scanExpectations) {
      assertEqual(
        idsOf(await collect(() => purchases.scan(filter))),
        idsOf(pick(records, indexes)),
        `scan(${describeFilter(filter)})`,
      );
    }
  },
};
