import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AuditRecord,
  type Clock,
  createWebhookHandler,
  gumroad,
  type License,
  LicenseManager,
  lemonSqueezy,
  type PlanResolver,
  paddle,
  paypal,
  type Storage,
  stripe,
  type WebhookProvider,
} from '../../src/index.js';
import { fileStorage } from '../../src/node.js';
import {
  fakeClock,
  memoryMailer,
  type PayPalTestCredentials,
  paypalTestCredentials,
  stripeCheckoutCompletedEvent,
  stripeEvent,
  stripeWebhookRequest,
} from '../../src/testing.js';
import { TempDirs } from '../helpers/temp-dir.js';

// Webhooks end to end on real files: signed requests from the `licensekit/testing` builders, through
// `createWebhookHandler` and a `LicenseManager` on `fileStorage()` in a temp dir.

export const stripeSecret = 'whsec_e2e_secret';
export const lemonSecret = 'ls_e2e_secret';
export const paddleSecret = 'pdl_ntfset_e2e_secret';
export const gumroadToken = 'gumroad-e2e-token-0123456789abcdef';
export const webhookId = 'WH-E2E-0001';
export const email = 'ada@example.com';
export const dayMs = 86_400_000;

const dirs = new TempDirs();
const closers: (() => Promise<void>)[] = [];

/** Runs `close` after the current test (register {@link cleanUpE2E} with `afterEach`). */
export function onCleanup(close: () => Promise<void>): void {
  closers.push(close);
}

/** Closes every manager and storage of the test and removes its directories. */
export async function cleanUpE2E(): Promise<void> {
  for (const close of closers.splice(0)) await close();
  await dirs.removeAll();
}

let credentials: Promise<PayPalTestCredentials> | undefined;
/** One PayPal test key pair and certificate per test file (RSA key generation is slow). */
export const paypalCredentials = (): Promise<PayPalTestCredentials> => {
  credentials ??= paypalTestCredentials();
  return credentials;
};

type ProviderFactory = (clock: Clock) => Promise<WebhookProvider> | WebhookProvider;

const providers = {
  stripe: (clock: Clock) => stripe({ signingSecret: stripeSecret, clock }),
  gumroad: () => gumroad({ token: gumroadToken, sellerId: 'seller-1' }),
  lemonsqueezy: () => lemonSqueezy({ signingSecret: lemonSecret }),
  paddle: (clock: Clock) => paddle({ secret: paddleSecret, clock }),
  paypal: async () =>
    paypal({ webhookId, verify: { getCertificate: (await paypalCredentials()).getCertificate } }),
} satisfies Record<string, ProviderFactory>;

/** A store with a default provider in these tests. */
export type Store = keyof typeof providers;

/** Options of {@link setup}. */
export interface SetupOptions {
  plans?: PlanResolver;
  /** Replaces the store's default provider (same secrets), e.g. to pass provider options. */
  provider?: ProviderFactory;
}

/** A handler on fresh files, with its manager, clock, mailer and ways to read what was written. */
export async function setup(store: Store, options: SetupOptions = {}) {
  const dir = await dirs.make('webhooks-e2e');
  const storage: Storage = fileStorage({ dir });
  const clock = fakeClock('2025-03-01T10:00:00.000Z');
  const mailer = memoryMailer();
  const manager = new LicenseManager({ storage, clock, mailer, plans: options.plans });
  onCleanup(() => manager.close());
  const failures: unknown[] = [];
  const handle = createWebhookHandler({
    provider: await (options.provider ?? providers[store])(clock),
    manager,
    onError: (error) => failures.push(error),
  });
  const records = async (): Promise<AuditRecord[]> => {
    const all: AuditRecord[] = [];
    for await (const record of storage.purchases.scan()) all.push(record);
    return all;
  };
  const licenses = async (): Promise<License[]> => {
    const all: License[] = [];
    for await (const license of storage.licenses.list()) all.push(license);
    return all;
  };
  /** Sends `request` and returns the status and JSON answer; a 5xx fails with the error behind it. */
  const send = async (
    request: Request,
  ): Promise<{ status: number; action?: string; licenseKey?: string }> => {
    const response = await handle(request);
    const body = (await response.json()) as { action?: string; licenseKey?: string };
    if (response.status >= 500) throw new Error(`${response.status}: ${String(failures.at(-1))}`);
    return { status: response.status, ...body };
  };
  /** The bytes of every data file (the lock file aside), to prove a request wrote nothing. */
  const files = async (): Promise<Record<string, string>> => {
    const names = (await readdir(dir)).filter((name) => name !== '.lock').sort();
    return Object.fromEntries(
      await Promise.all(names.map(async (name) => [name, await readFile(join(dir, name), 'utf8')] as const)),
    );
  };
  return { dir, storage, clock, mailer, manager, handle, send, records, licenses, files, failures };
}

/** What {@link setup} resolves to. */
export type E2E = Awaited<ReturnType<typeof setup>>;

/** A Stripe `invoice.paid` for the second period of `sub_1`, created at `created`. */
export function renewalInvoice(created: Date) {
  return stripeEvent(
    'invoice.paid',
    {
      id: 'in_1',
      billing_reason: 'subscription_cycle',
      amount_paid: 1000,
      currency: 'usd',
      customer: 'cus_1',
      customer_email: email,
      customer_name: 'Ada',
      parent: { subscription_details: { subscription: 'sub_1', metadata: { product_id: 'app' } } },
    },
    { created },
  );
}

/** A 30-day subscription sold at the clock's time; resolves to its license key and first expiry. */
export async function subscribe(e2e: E2E) {
  const subscription = stripeCheckoutCompletedEvent({
    email,
    productId: 'app',
    subscription: 'sub_1',
    created: e2e.clock(),
  });
  const { licenseKey } = await e2e.send(
    await stripeWebhookRequest(subscription, stripeSecret, { timestamp: e2e.clock() }),
  );
  const license = await e2e.manager.getLicense(licenseKey!);
  return { licenseKey: licenseKey!, expiresAt: Date.parse(license!.expiresAt!) };
}

/** Plans of 30 days and one device. */
export const thirtyDays = { plans: () => ({ durationDays: 30, maxDevices: 1 }) };
