import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LicenseKitErrorCode, LicenseKitErrorCodes } from '../../src/index.js';

/** Every code, checked by the compiler against the type: a missing or unknown one does not compile. */
const codes: Record<LicenseKitErrorCode, true> & LicenseKitErrorCodes = {
  INVALID_INPUT: true,
  LICENSE_NOT_FOUND: true,
  INVALID_PLAN: true,
  STORAGE_MISSING_METHODS: true,
  STORAGE_CORRUPT: true,
  STORAGE_UNSUPPORTED_VERSION: true,
  STORAGE_IO: true,
  STORAGE_LOCK_TIMEOUT: true,
  STORAGE_CLOSED: true,
  RECORD_TOO_LARGE: true,
  MAIL_FAILED: true,
  WEBHOOK_UNAUTHORIZED: true,
  WEBHOOK_TIMESTAMP_OUT_OF_RANGE: true,
  WEBHOOK_VERIFIER_UNAVAILABLE: true,
  NORMALIZATION_FAILED: true,
  WEBHOOK_PAYLOAD_TOO_LARGE: true,
  WEBHOOK_UNSUPPORTED_MEDIA_TYPE: true,
};

describe('error codes', () => {
  it('the README lists every code, and only those', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Errors'), readme.indexOf('Branch on `code`'));
    const listed = [...section.matchAll(/`([A-Z][A-Z_]+)`/g)].map((match) => match[1]);
    expect(listed.sort()).toEqual(Object.keys(codes).sort());
  });
});
