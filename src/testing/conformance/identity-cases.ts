/** Storage conformance cases for what identifies a sale and an event: both parts, compared exactly. */
import type { License } from '../../domain/license.js';
import { assertEqual } from '../_assert.js';
import { licenseFixture, purchaseRecordFixture } from '../fixtures.js';
import type { StorageConformanceCase } from '../storage-conformance.js';
import { collect, idsOf, keysOf } from './_helpers.js';

/**
 * `sale-is-source-and-id`: A sale is the pair `(purchaseSource, purchaseId)`: the same purchaseId under
 * another source is another sale, with its own license, and neither part is glued to the other.
 */
export const saleIsSourceAndId: StorageConformanceCase = {
  id: 'sale-is-source-and-id',
  title: 'insert is idempotent on the pair (purchaseSource, purchaseId), not on purchaseId alone',
  run: async ({ storage }) => {
    const { licenses } = storage;
    const lemon = licenseFixture({ purchaseSource: 'lemonsqueezy', purchaseId: '1001' });
    const manual = licenseFixture({ purchaseSource: 'manual', purchaseId: '1001' });
    assertEqual(await licenses.insert(lemon), { license: lemon, created: true }, 'insert of a sale');
    assertEqual(
      await licenses.insert(manual),
      { license: manual, created: true },
      'insert of the same purchaseId under another source',
    );
    // A store that joins the two parts into one string without a separator that cannot occur in them.
    const joinedLeft = licenseFixture({ purchaseSource: 'shop:eu', purchaseId: '1001' });
    const joinedRight = licenseFixture({ purchaseSource: 'shop', purchaseId: 'eu:1001' });
    assertEqual(
      await licenses.insert(joinedLeft),
      { license: joinedLeft, created: true },
      'insert of (shop:eu, 1001)',
    );
    assertEqual(
      await licenses.insert(joinedRight),
      { license: joinedRight, created: true },
      'insert of (shop, eu:1001), which joins to the same text as (shop:eu, 1001)',
    );
    const lookups: Array<[string, string, License | null]> = [
      ['lemonsqueezy', '1001', lemon],
      ['manual', '1001', manual],
      ['shop:eu', '1001', joinedLeft],
      ['shop', 'eu:1001', joinedRight],
      ['paddle', '1001', null],
      ['shop', 'eu', null],
    ];
    for (const [source, purchaseId, expected] of lookups) {
      assertEqual(
        await licenses.getByPurchase(source, purchaseId),
        expected,
        `getByPurchase(${source}, ${purchaseId})`,
      );
    }
    for (const license of [lemon, manual]) {
      assertEqual(
        await licenses.insert(
          licenseFixture({ purchaseSource: license.purchaseSource, purchaseId: license.purchaseId }),
        ),
        { license, created: false },
        `a second insert of (${license.purchaseSource}, ${license.purchaseId}) returns its own license`,
      );
    }

    const sources = ['gumroad', 'stripe', 'paddle', 'paypal', 'lemonsqueezy'];
    const concurrent = sources.map((purchaseSource) =>
      licenseFixture({ purchaseSource, purchaseId: '2002' }),
    );
    assertEqual(
      await Promise.all(concurrent.map((license) => licenses.insert(license))),
      concurrent.map((license) => ({ license, created: true })),
      'concurrent inserts of one purchaseId under 5 sources each create a license',
    );
    for (const license of concurrent) {
      assertEqual(
        await licenses.getByPurchase(license.purchaseSource, '2002'),
        license,
        `getByPurchase(${license.purchaseSource}, 2002) after concurrent inserts`,
      );
    }
    assertEqual(
      keysOf(await collect(() => licenses.list())).slice(0, 4),
      keysOf([lemon, manual, joinedLeft, joinedRight]),
      'list() after inserting one purchaseId under several sources',
    );
    assertEqual(
      (await collect(() => licenses.list())).length,
      4 + concurrent.length,
      'licenses stored after inserting one purchaseId under several sources',
    );
  },
};

/**
 * `ids-compare-exactly`: Sale ids and event ids compare exactly, case-sensitively (`pi_3AbC` and
 * `pi_3aBc` are two Stripe payments), unlike license keys: a case-insensitive collation or index on
 * them merges different sales or drops events.
 */
export const idsCompareExactly: StorageConformanceCase = {
  id: 'ids-compare-exactly',
  title: 'sale ids and event ids compare case-sensitively, unlike license keys',
  run: async ({ storage }) => {
    const { licenses, purchases } = storage;
    const upper = licenseFixture({ purchaseSource: 'stripe', purchaseId: 'pi_3AbC' });
    const lower = licenseFixture({ purchaseSource: 'stripe', purchaseId: 'pi_3aBc' });
    assertEqual(await licenses.insert(upper), { license: upper, created: true }, 'insert of sale pi_3AbC');
    assertEqual(
      await licenses.insert(lower),
      { license: lower, created: true },
      'insert of sale pi_3aBc, which differs from pi_3AbC in letter case only',
    );
    const lookups: Array<[string, License | null]> = [
      ['pi_3AbC', upper],
      ['pi_3aBc', lower],
      ['PI_3ABC', null],
      ['pi_3abc', null],
    ];
    for (const [purchaseId, expected] of lookups) {
      assertEqual(
        await licenses.getByPurchase('stripe', purchaseId),
        expected,
        `getByPurchase(stripe, ${purchaseId})`,
      );
    }
    assertEqual(
      await licenses.insert(licenseFixture({ purchaseSource: 'stripe', purchaseId: 'pi_3aBc' })),
      { license: lower, created: false },
      'a second insert of sale pi_3aBc returns its own license',
    );
    assertEqual(await collect(() => licenses.list()), [upper, lower], 'list() after the two sales');

    const first = purchaseRecordFixture({ event: { eventId: 'evt_1Ab', purchase: { source: 'stripe' } } });
    const second = purchaseRecordFixture({ event: { eventId: 'evt_1aB', purchase: { source: 'stripe' } } });
    const folded = purchaseRecordFixture({ event: { eventId: 'EVT_1AB', purchase: { source: 'stripe' } } });
    assertEqual(await purchases.append(first), true, 'append of event evt_1Ab');
    assertEqual(await purchases.has(second), false, 'has of event evt_1aB before appending it');
    assertEqual(await purchases.has(folded), false, 'has of event EVT_1AB, never appended');
    assertEqual(
      await purchases.append(second),
      true,
      'append of event evt_1aB, which differs from evt_1Ab in letter case only',
    );
    assertEqual(await purchases.has(second), true, 'has of event evt_1aB after appending it');
    assertEqual(
      await purchases.append(purchaseRecordFixture({ event: { ...second.event } })),
      false,
      'a redelivery of event evt_1aB',
    );
    assertEqual(
      idsOf(await collect(() => purchases.scan())),
      idsOf([first, second]),
      'scan() after appending the two events',
    );
  },
};
