/**
 * The Express example as a server configured by environment variables (see README.md):
 * `PORT=3000 DATA_DIR=./data STRIPE_WEBHOOK_SECRET=whsec_… node --import tsx examples/express/server.ts`.
 * On SIGTERM or SIGINT it stops taking connections, finishes the requests in flight, then closes the
 * store (writing anything pending) and exits.
 */
import type { AddressInfo } from 'node:net';
import { consoleMailer, LicenseManager } from 'licensekit';
import { fileStorage } from 'licensekit/node';
import { createApp } from './app.js';
import { trustProxyFrom, wholeNumber } from './env.js';
import { smtpMailer } from './smtp-mailer.js';
import { storesFromEnv } from './stores.js';

const env = process.env;
const required = (name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
};

const manager = new LicenseManager({
  storage: fileStorage({ dir: env.DATA_DIR ?? './data' }),
  mailer: env.SMTP_HOST
    ? smtpMailer({
        host: env.SMTP_HOST,
        port: wholeNumber(env, 'SMTP_PORT', 465, 1),
        user: env.SMTP_USER,
        pass: env.SMTP_PASS,
        from: env.SMTP_FROM || required('SMTP_USER'),
      })
    : consoleMailer(),
  // Your products' terms: here a Pro tier is a yearly plan on 3 devices, anything else perpetual on
  // 1. Grace is looked up by product when a key is validated (a license keeps no tier).
  plans: ({ tier }) => ({
    ...(tier === 'Pro' ? { durationDays: 365, maxDevices: 3 } : { durationDays: null, maxDevices: 1 }),
    graceDays: 7,
  }),
});

const stores = storesFromEnv(env);
const app = createApp({
  manager,
  stores,
  adminToken: env.ADMIN_TOKEN,
  rateLimit: {
    burst: wholeNumber(env, 'RATE_LIMIT_BURST', 10, 1),
    perMinute: wholeNumber(env, 'RATE_LIMIT_PER_MINUTE', 30, 1),
  },
  trustProxy: trustProxyFrom(env.TRUST_PROXY),
});

const host = env.HOST ?? '0.0.0.0';
const server = app.listen(wholeNumber(env, 'PORT', 3000), host, (error?: Error) => {
  if (error) throw error;
  const { port } = server.address() as AddressInfo;
  const names = Object.keys(stores);
  console.log(`licensekit example listening on http://${host}:${port}`);
  console.log(
    names.length > 0 ? `stores: ${names.join(', ')}` : 'no store configured: set STRIPE_WEBHOOK_SECRET, …',
  );
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) process.exit(1); // a second signal: stop now
  stopping = true;
  console.log(`${signal}: closing the server`);
  const closed = new Promise((resolve) => server.close(resolve));
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), 10_000);
  await closed;
  clearTimeout(force);
  await manager.close();
  console.log('store closed, bye');
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    shutdown(signal).catch((error: unknown) => {
      console.error('shutdown failed:', error);
      process.exitCode = 1;
    });
  });
}
