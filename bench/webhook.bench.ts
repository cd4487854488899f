import { join } from 'node:path';
import {
  createWebhookHandler,
  type License,
  LicenseManager,
  type Purchase,
  type Storage,
  stripe,
} from 'licensekit';
import { fileStorage, jsonlLicenseStore, jsonlPurchaseLog } from 'licensekit/node';
import { stripeCheckoutCompletedEvent, stripeWebhookRequest } from 'licensekit/testing';
import { bareVerifyStripe, GroupAppend } from './_bare.js';
import {
  benchLicense,
  benchPurchase,
  copySeed,
  newLicense,
  saleRecord,
  seedMemoryStorage,
} from './_fixtures.js';
import {
  type BenchSettings,
  count,
  type FamilyResult,
  measure,
  notRun,
  oneAtATime,
  progress,
  type Role,
  type Row,
  skipped,
  tempDir,
  wanted,
} from './_harness.js';
import { type LicensesDb, lowdbSkip, openLowdb, type PurchasesDb } from './_lowdb.js';
import { OldServer } from './_old-server.js';

export const scenario = '5. the webhook path: a signed Stripe checkout';

const secret = 'whsec_bench_0123456789abcdef';
const bareMemory = 'bare: verify + JSON.parse + Map.set';
const bareDurable = "bare: verify + JSON.parse + fsync'd append, group-committed";

/** Answers one webhook `Request` as a server route would; `late` lets a queued call give up its turn. */
type Handle = (request: Request, late: () => boolean) => Promise<unknown>;

interface Subject {
  subject: string;
  role: Role;
  /** Why this subject is not run at this size and caller count, if it is not. */
  skip?(n: number, callers: number): string | null;
  bound?: string;
  /** At most this many requests are signed per second of budget (before the clock starts). */
  perSecond: number;
  open(dir: string, n: number): Promise<{ handle: Handle; close(): Promise<void> }>;
}

function licensekitSubject(
  subject: string,
  bound: string,
  perSecond: number,
  storageFor: (dir: string, n: number) => Promise<Storage>,
): Subject {
  return {
    subject,
    role: 'licensekit',
    bound,
    perSecond,
    async open(dir, n) {
      const manager = new LicenseManager({ storage: await storageFor(dir, n) });
      await manager.getLicense(benchLicense(0).key); // opens the storage
      const handle = createWebhookHandler({ provider: stripe({ signingSecret: secret }), manager });
      return { handle, close: () => manager.close() };
    },
  };
}

/** The fields of a Checkout Session the hand-written routes read. */
interface CheckoutEvent {
  data: {
    object: {
      payment_intent: string;
      amount_total: number;
      currency: string;
      customer_details: { email: string; name: string | null };
      metadata: { product_id: string };
    };
  };
}

/** What a hand-written route does before storing: read the body, verify (node:crypto), parse, map. */
async function readSale(request: Request): Promise<{ purchase: Purchase; license: License }> {
  const body = await request.text();
  if (!bareVerifyStripe(body, request.headers.get('stripe-signature') ?? '', secret)) {
    throw new Error('bad signature');
  }
  const session = (JSON.parse(body) as CheckoutEvent).data.object;
  const purchase: Purchase = {
    ...benchPurchase('hook', 0),
    source: 'stripe',
    saleId: session.payment_intent,
    email: session.customer_details.email,
    customerName: session.customer_details.name ?? '',
    productId: session.metadata.product_id,
    amount: session.amount_total,
    currency: session.currency.toUpperCase(),
  };
  return { purchase, license: newLicense(purchase) };
}

const answer = (license: License) =>
  new Response(JSON.stringify({ action: 'created', licenseKey: license.key }), {
    headers: { 'content-type': 'application/json' },
  });

const subjects: Subject[] = [
  licensekitSubject('licensekit, memoryStorage (not durable)', bareMemory, 10_000, (_dir, n) =>
    seedMemoryStorage(n),
  ),
  licensekitSubject('licensekit, fileStorage (JSON file)', bareDurable, 2_000, async (dir, n) => {
    copySeed('file', n, join(dir, 'file'));
    return fileStorage({ dir: join(dir, 'file') });
  }),
  licensekitSubject('licensekit, JSONL stores', bareDurable, 4_000, async (dir, n) => {
    copySeed('jsonl', n, join(dir, 'jsonl'));
    return {
      licenses: jsonlLicenseStore({ path: join(dir, 'jsonl', 'licenses.jsonl') }),
      purchases: jsonlPurchaseLog({ path: join(dir, 'jsonl', 'purchases.jsonl') }),
    };
  }),
  {
    subject: 'old server + signature check: read-modify-write + fsync, one at a time',
    role: 'baseline',
    bound: bareDurable,
    perSecond: 400,
    async open(dir, n) {
      const server = new OldServer(dir);
      server.seed(n);
      const handle = oneAtATime(async (request: Request) => {
        const { purchase, license } = await readSale(request);
        server.createLicense(license, purchase);
        return answer(license);
      });
      return { handle, close: async () => undefined };
    },
  },
  {
    subject: 'lowdb 7 + signature check: db.update() ×2 (no fsync, no lock)',
    role: 'lowdb',
    skip: lowdbSkip,
    bound: bareDurable,
    perSecond: 400,
    async open(dir, n) {
      const licenses: LicensesDb['licenses'] = {};
      const purchases: PurchasesDb['purchases'] = [];
      for (let j = 0; j < n; j++) {
        const seed = benchLicense(j);
        licenses[seed.key] = seed;
        purchases.push(saleRecord(seed, { ...benchPurchase('seed', j), saleId: seed.purchaseId }));
      }
      const licensesDb = await openLowdb<LicensesDb>(join(dir, 'licenses.lowdb.json'), { licenses });
      const purchasesDb = await openLowdb<PurchasesDb>(join(dir, 'purchases.lowdb.json'), { purchases });
      const handle: Handle = async (request) => {
        const { purchase, license } = await readSale(request);
        await Promise.all([
          licensesDb.update((data) => {
            data.licenses[license.key] = license;
          }),
          purchasesDb.update((data) => {
            data.purchases.push(saleRecord(license, purchase));
          }),
        ]);
        return answer(license);
      };
      return { handle, close: async () => undefined };
    },
  },
  {
    subject: bareMemory,
    role: 'bound',
    perSecond: 10_000,
    async open() {
      const map = new Map<string, License>();
      const handle: Handle = async (request) => {
        const { license } = await readSale(request);
        map.set(license.key, license);
        return answer(license);
      };
      return { handle, close: async () => undefined };
    },
  },
  {
    subject: bareDurable,
    role: 'bound',
    perSecond: 4_000,
    async open(dir) {
      const log = await GroupAppend.open(join(dir, 'bare.jsonl'));
      const handle: Handle = async (request) => {
        const { purchase, license } = await readSale(request);
        await log.append(`${JSON.stringify(license)}\n${JSON.stringify(saleRecord(license, purchase))}\n`);
        return answer(license);
      };
      return { handle, close: () => log.close() };
    },
  },
];

let poolTag = 0;

/** `size` signed, distinct `checkout.session.completed` requests (fresh timestamps: Stripe allows 300 s). */
function signedCheckouts(size: number): Promise<Request[]> {
  const tag = poolTag++;
  return Promise.all(
    Array.from({ length: size }, (_, i) =>
      stripeWebhookRequest(
        stripeCheckoutCompletedEvent({
          email: `buyer${i}@example.com`,
          customerName: `Buyer ${i}`,
          productId: `app-${i % 5}`,
          amount: 2999,
          paymentIntent: `pi_bench_${tag}_${i}`,
        }),
        secret,
      ),
    ),
  );
}

/**
 * Scenario 5: the whole webhook path, a signed `checkout.session.completed` through
 * `createWebhookHandler` and the Stripe provider (Web Crypto HMAC, schema checks, idempotency, the
 * license and its records stored), against hand-written routes doing the same on the old server's
 * files and on lowdb, and two bounds. Requests are signed before the clock starts; each row starts
 * from a fresh copy of the seeded store and answers at most `n` sales.
 */
export async function webhookFamily(settings: BenchSettings): Promise<FamilyResult> {
  const rows: Row[] = [];
  for (const n of settings.sizes) {
    const size = count(n, 'licenses');
    for (const { subject, role, bound, perSecond, open, skip } of subjects) {
      if (!wanted(settings, subject)) continue;
      for (const callers of settings.callers) {
        const why = skip?.(n, callers);
        if (why) {
          rows.push(notRun({ scenario, size, callers, subject, role }, why));
          continue;
        }
        const { dir, cleanup } = tempDir();
        try {
          progress(`${scenario}: ${size}, ${callers} caller(s), ${subject}`);
          const opened = await open(dir, n);
          const budget = Math.max(4 * callers, Math.ceil((perSecond * settings.ms * 1.7) / 1000));
          const pool = await signedCheckouts(Math.min(n, budget));
          const measured = await measure(
            async (i, late) => {
              const response = await opened.handle(pool[i]!, late);
              if (response === skipped) return skipped;
              if (!(response instanceof Response) || response.status !== 200) {
                throw new Error(
                  `${subject}: ${response instanceof Response ? response.status : 'no response'}`,
                );
              }
              const body = (await response.json()) as { action?: string };
              if (body.action !== 'created') throw new Error(`${subject}: ${body.action}`);
            },
            {
              ms: settings.ms,
              callers,
              maxOps: pool.length,
              label: `${scenario} ${size} ${callers} ${subject}`,
            },
          );
          await opened.close();
          rows.push({ scenario, size, callers, subject, role, bound, ...measured });
        } finally {
          cleanup();
        }
      }
    }
  }
  const size = count(Math.max(...settings.sizes), 'licenses');
  const targets = settings.callers.map((callers) => ({
    name: 'webhook path ≥ 5,000/s on memory storage',
    scenario,
    size,
    callers,
    subject: 'licensekit, memoryStorage (not durable)',
    metric: 'opsPerSec' as const,
    min: 5000,
  }));
  return { rows, targets };
}
