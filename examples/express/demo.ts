/**
 * `npm run demo`: a sale becomes a license, over real HTTP. Starts this example's Express app on
 * 127.0.0.1 with file storage in a fresh temp directory and the console mailer, then plays Gumroad,
 * Stripe and a customer's app against it. The webhooks are built by `licensekit/testing` exactly as
 * the stores send them (Stripe's signed with the endpoint secret).
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  consoleMailer,
  formatMinorUnits,
  gumroad,
  LicenseManager,
  type PurchaseStats,
  stripe,
} from 'licensekit';
import { fileStorage } from 'licensekit/node';
import {
  gumroadPingRequest,
  gumroadSaleFields,
  stripeCheckoutCompletedEvent,
  stripeWebhookRequest,
} from 'licensekit/testing';
import { createApp } from './app.js';

const dir = mkdtempSync(join(tmpdir(), 'licensekit-demo-'));
const token = crypto.randomUUID(); // the secret in Gumroad's ping URL
const signingSecret = `whsec_${crypto.randomUUID().replaceAll('-', '')}`; // Stripe's endpoint secret
const adminToken = crypto.randomUUID();

// The default plan: perpetual, one device per license.
const manager = new LicenseManager({ storage: fileStorage({ dir }), mailer: consoleMailer() });
const app = createApp({
  manager,
  stores: { gumroad: gumroad({ token }), stripe: stripe({ signingSecret }) },
  adminToken,
});
const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

try {
  console.log('licensekit demo: a shop on Express, two stores, one customer, all over real HTTP.');
  say(`The shop listens on ${base} and keeps its data in ${dir}.`);

  say('Ada buys Image Weaver for $29.99 on Gumroad. Gumroad pings the shop, which stores a license');
  console.log('  and emails Ada her key:');
  const fields = gumroadSaleFields({
    email: 'ada@example.com',
    fullName: 'Ada Lovelace',
    productId: 'image-weaver',
    productName: 'Image Weaver',
    price: 2999,
  });
  const gumroadUrl = `${base}/api/v1/webhooks/gumroad`;
  const sale = await webhook(await gumroadPingRequest(fields, { url: gumroadUrl, token }));
  const key = sale.licenseKey;

  say('Gumroad was not sure the ping arrived and sends it again. Nothing new happens:');
  await webhook(await gumroadPingRequest(fields, { url: gumroadUrl, token }));

  say('Grace buys it for $10.00 with Stripe Checkout. Stripe signs the event with the endpoint secret:');
  const checkout = stripeCheckoutCompletedEvent({
    email: 'grace@example.com',
    customerName: 'Grace Hopper',
    productId: 'image-weaver',
    amount: 1000,
  });
  checkout.data.object.metadata = { product_id: 'image-weaver', product_name: 'Image Weaver' };
  const stripeUrl = `${base}/api/v1/webhooks/stripe`;
  await webhook(await stripeWebhookRequest(checkout, signingSecret, { url: stripeUrl }));

  say('Someone forges a Stripe event without the secret. The shop refuses it and writes nothing:');
  await webhook(await stripeWebhookRequest(checkout, 'whsec_guessed', { url: stripeUrl }));

  say('Ada starts Image Weaver on her laptop. The app validates her key and takes her one seat:');
  await validate({ key, hardwareId: 'ada-laptop', deviceName: 'Laptop' });

  say('Then on her desktop, but her license has one seat and the laptop holds it:');
  await validate({ key, hardwareId: 'ada-desktop', deviceName: 'Desktop' });

  say("She frees the laptop's seat from the app, and the desktop gets in:");
  const freed = await post('/api/v1/licenses/deactivate', { key, hardwareId: 'ada-laptop' });
  console.log(`  → ${freed.status}, ${freed.body.devicesInUse} of ${freed.body.maxDevices} seats in use`);
  await validate({ key, hardwareId: 'ada-desktop', deviceName: 'Desktop' });

  say('Ada asks for a refund. Gumroad pings the refund, and her key is revoked:');
  await webhook(
    await gumroadPingRequest(
      { ...fields, resource_name: 'refund', refunded: 'true' },
      { url: gumroadUrl, token },
    ),
  );
  await validate({ key, hardwareId: 'ada-desktop' });

  say('The shop owner looks at the books (GET /api/v1/admin/stats with the admin token):');
  const stats = await fetch(`${base}/api/v1/admin/stats`, {
    headers: { authorization: `Bearer ${adminToken}` },
  });
  printStats((await stats.json()) as PurchaseStats);
} finally {
  await new Promise((resolve) => server.close(resolve));
  await manager.close();
  rmSync(dir, { recursive: true, force: true });
}
say('The server stopped taking requests, the store wrote what was pending and closed, and the demo');
console.log(`  deleted ${dir}. To run the shop on your own stores, see examples/express/README.md.`);

function say(line: string): void {
  console.log(`\n▸ ${line}`);
}

/** Posts a store's webhook and prints what the shop answered. */
async function webhook(request: Request): Promise<{ action: string; licenseKey: string }> {
  const { pathname, search } = new URL(request.url);
  console.log(`  POST ${pathname}${search ? '?token=…' : ''}`);
  const response = await fetch(request);
  const body = (await response.json()) as { action: string; licenseKey: string; error?: string };
  console.log(`  → ${response.status} ${body.error ?? `${body.action} ${body.licenseKey}`}`);
  return body;
}

/** Posts JSON to the shop's license API. */
async function post(path: string, body: object) {
  console.log(`  POST ${path} ${JSON.stringify(body)}`);
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function validate(request: { key: string; hardwareId: string; deviceName?: string }): Promise<void> {
  const { status, body } = await post('/api/v1/licenses/validate', request);
  const license = body.license as { devicesInUse: number; maxDevices: number } | null;
  const seats = license ? `${license.devicesInUse} of ${license.maxDevices} seats in use` : '';
  console.log(`  → ${status} ${body.code} (valid: ${body.valid}): ${body.valid ? seats : body.detail}`);
}

/** A table of sales and net revenue per store, then the money per currency. */
function printStats(stats: PurchaseStats): void {
  const money = (amounts: Record<string, number>) =>
    Object.entries(amounts)
      .map(([currency, amount]) => `${currency} ${formatMinorUnits(amount, currency)}`)
      .join(', ');
  const line = (left: string, middle: string, right: string) =>
    console.log(`  ${left}${'─'.repeat(10)}${middle}${'─'.repeat(7)}${middle}${'─'.repeat(12)}${right}`);
  const row = (store: string, sales: string, net: string) =>
    console.log(`  │ ${store.padEnd(8)} │ ${sales.padStart(5)} │ ${net.padEnd(10)} │`);
  line('┌', '┬', '┐');
  row('store', 'sales', 'net');
  line('├', '┼', '┤');
  for (const [source, { count, revenue }] of Object.entries(stats.bySource)) {
    row(source, String(count), money(revenue));
  }
  const net = Object.fromEntries(Object.entries(stats.revenue).map(([currency, { net }]) => [currency, net]));
  line('├', '┼', '┤');
  row('total', String(stats.totalPurchases), money(net));
  line('└', '┴', '┘');
  const refunds = `${stats.totalRefunds} refund${stats.totalRefunds === 1 ? '' : 's'}`;
  for (const [currency, totals] of Object.entries(stats.revenue)) {
    const amount = (value: number) => money({ [currency]: value });
    console.log(
      `  gross ${amount(totals.gross)} − refunded ${amount(totals.refunded)} (${refunds}) = net ${amount(totals.net)}`,
    );
  }
}
