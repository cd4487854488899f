import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import {
  type AuditRecord,
  LicenseManager,
  type LicenseManagerOptions,
  memoryStorage,
  type PurchaseEvent,
  type Storage,
} from '../../src/index.js';
import { fileStorage } from '../../src/node.js';
import { fakeClock, memoryMailer, purchaseEventFixture } from '../../src/testing.js';

/** Every manager test runs on the memory storage and on real files. */
export const storageKinds = ['memory', 'file'] as const;
export type StorageKind = (typeof storageKinds)[number];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * A manager on fresh storage of `kind` with a fake clock and a memory mailer; `wrap` may put a
 * layer around the storage the manager uses (the helpers still read the storage itself).
 */
export function setup(
  kind: StorageKind,
  options: Partial<LicenseManagerOptions> = {},
  wrap: (storage: Storage) => Storage = (storage) => storage,
) {
  const clock = fakeClock('2025-03-01T10:00:00.000Z');
  const mailer = memoryMailer();
  let storage: Storage;
  if (kind === 'memory') {
    storage = memoryStorage();
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'licensekit-manager-'));
    storage = fileStorage({ dir });
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  }
  const manager = new LicenseManager({ storage: wrap(storage), clock, mailer, ...options });
  cleanups.unshift(() => manager.close());
  const records = async (): Promise<AuditRecord[]> => {
    const all: AuditRecord[] = [];
    for await (const record of storage.purchases.scan()) all.push(record);
    return all;
  };
  const licenses = async () => {
    const all = [];
    for await (const license of storage.licenses.list()) all.push(license);
    return all;
  };
  return { manager, clock, mailer, storage, records, licenses };
}

/** A later event of the same sale (new event id). */
export function followUp(
  sale: PurchaseEvent,
  type: PurchaseEvent['type'],
  purchase: Partial<PurchaseEvent['purchase']> = {},
): PurchaseEvent {
  return { ...purchaseEventFixture({ type }), purchase: { ...sale.purchase, ...purchase } };
}

/** A license-action summary of the log, `action:reason:actor` per license record. */
export function actions(records: readonly AuditRecord[]): string[] {
  return records.flatMap((record) =>
    record.kind === 'license' ? [`${record.action}:${record.reason ?? ''}:${record.actor ?? ''}`] : [],
  );
}
