import { LicenseKitError } from '../domain/errors.js';
import type { Storage } from './storage.js';

const required = {
  licenses: ['get', 'getByPurchase', 'insert', 'update', 'list', 'close'],
  purchases: ['append', 'has', 'scan', 'close'],
} as const;

/** Returns `storage` if it has every method of the port, else throws `STORAGE_MISSING_METHODS` naming them. */
export function checkStorage(storage: Storage): Storage {
  const missing = Object.entries(required).flatMap(([part, methods]) =>
    methods
      .filter(
        (method) =>
          typeof (storage?.[part as keyof Storage] as unknown as Record<string, unknown>)?.[method] !==
          'function',
      )
      .map((method) => `${part}.${method}`),
  );
  if (missing.length > 0) {
    throw new LicenseKitError('STORAGE_MISSING_METHODS', `the storage lacks ${missing.join(', ')}`);
  }
  return storage;
}
