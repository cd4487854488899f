import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createLicenseKeyFormat,
  generateLicenseKey,
  isLicenseKitError,
  type LicenseManagerOptions,
} from '../../src/index.js';
import { purchaseEventFixture } from '../../src/testing.js';
import { actions, followUp, setup, storageKinds } from '../helpers/manager-setup.js';

describe.each(storageKinds)('validate on %s storage', (kind) => {
  async function issued(options: Parameters<typeof setup>[1] = {}, quantity = 1) {
    const context = setup(kind, options);
    const { license } = await context.manager.handlePurchaseEvent(
      purchaseEventFixture({ purchase: { quantity } }),
    );
    return { ...context, key: license!.key };
  }

  it('a valid key: VALID, telemetry updated, typed variants accepted', async () => {
    const { manager, key } = await issued();
    const result = await manager.validate(key.toLowerCase().replaceAll('-', ''));
    expect(result).toMatchObject({
      valid: true,
      code: 'VALID',
      device: null,
      checkedAt: '2025-03-01T10:00:00.000Z',
    });
    expect(result.license).toMatchObject({
      key,
      validationCount: 1,
      lastValidatedAt: '2025-03-01T10:00:00.000Z',
    });
    expect((await manager.validate(key)).license?.validationCount).toBe(2);
  });

  it('a typo in our key shape is MALFORMED_KEY; other shapes are NOT_FOUND', async () => {
    const { manager, key } = await issued();
    const typo = `${key.slice(0, 3)}${key[3] === 'A' ? 'B' : 'A'}${key.slice(4)}`;
    expect(await manager.validate(typo)).toMatchObject({
      valid: false,
      code: 'MALFORMED_KEY',
      license: null,
    });
    expect(await manager.validate('legacy-key-123')).toMatchObject({
      valid: false,
      code: 'NOT_FOUND',
      license: null,
    });
    expect(await manager.validate('')).toMatchObject({ valid: false, code: 'NOT_FOUND', license: null });
    // Whatever a customer pastes as the key gets a result, however long.
    expect(await manager.validate('x'.repeat(5000), { hardwareId: 'a' })).toMatchObject({
      valid: false,
      code: 'NOT_FOUND',
      license: null,
    });
    // Only a request no client should send is refused.
    await expect(manager.validate(42 as unknown as string)).rejects.toSatisfy((e) =>
      isLicenseKitError(e, 'INVALID_INPUT'),
    );
    await expect(manager.validate(key, { hardwareId: '' })).rejects.toSatisfy((e) =>
      isLicenseKitError(e, 'INVALID_INPUT'),
    );
    await expect(manager.validate(key, { deviceName: 'd'.repeat(257) })).rejects.toSatisfy((e) =>
      isLicenseKitError(e, 'INVALID_INPUT'),
    );
  });

  it('an imported key that looks like ours but fails its check symbol is still found', async () => {
    const { manager, storage, key } = await issued();
    // 30 hex digits, as a legacy generator made them: our shape, but (here) a wrong check symbol.
    const legacyKey = '9F2C4E1A7B3D5F60812A4C6E8B0D1F';
    expect(await manager.validate(legacyKey)).toMatchObject({ code: 'MALFORMED_KEY', license: null });
    const ours = (await manager.getLicense(key))!;
    await storage.licenses.insert({ ...ours, key: legacyKey, purchaseId: 'legacy-sale-1', devices: [] });
    const typed = ` ${legacyKey.toLowerCase()} `;
    expect(await manager.validate(typed, { hardwareId: 'pc-1' })).toMatchObject({
      valid: true,
      code: 'VALID',
      license: { key: legacyKey, validationCount: 1, devices: [{ hardwareId: 'pc-1' }] },
    });
    expect((await manager.getLicense(typed))?.key).toBe(legacyKey);
    expect((await manager.revoke(typed, 'refunded')).status).toBe('revoked');
    expect(await manager.validate(legacyKey)).toMatchObject({ valid: false, code: 'REVOKED' });
    // A typo of one of our keys is still named as a typo.
    const typo = `${key.slice(0, 3)}${key[3] === 'A' ? 'B' : 'A'}${key.slice(4)}`;
    expect(await manager.validate(typo)).toMatchObject({ code: 'MALFORMED_KEY', license: null });
    expect(await manager.getLicense(typo)).toBeNull();
  });

  it('checks in the contract order: product, revoked, suspended, expiry, seats', async () => {
    const { manager, key, clock } = await issued({
      plans: () => ({ durationDays: 30, maxDevices: 1, graceDays: 5 }),
    });
    expect(await manager.validate(key, { productId: 'other' })).toMatchObject({
      valid: false,
      code: 'PRODUCT_MISMATCH',
    });
    expect((await manager.validate(key, { productId: 'app', hardwareId: 'a' })).code).toBe('VALID');
    clock.advance({ days: 32 });
    expect(await manager.validate(key, { hardwareId: 'a' })).toMatchObject({
      valid: true,
      code: 'GRACE_PERIOD',
    });
    expect(await manager.validate(key, { hardwareId: 'b' })).toMatchObject({
      valid: false,
      code: 'DEVICE_LIMIT_REACHED',
    });
    clock.advance({ days: 4 });
    expect(await manager.validate(key, { hardwareId: 'b' })).toMatchObject({ valid: false, code: 'EXPIRED' });
    await manager.suspend(key, 'fraud check');
    expect(await manager.validate(key)).toMatchObject({ valid: false, code: 'SUSPENDED' });
    await manager.revoke(key, 'fraud');
    expect(await manager.validate(key)).toMatchObject({ valid: false, code: 'REVOKED' });
    expect(await manager.validate(key, { productId: 'other' })).toMatchObject({
      valid: false,
      code: 'PRODUCT_MISMATCH',
    });
  });

  it('an unknown key is NOT_FOUND before the product is compared', async () => {
    const { manager } = await issued();
    const unknown = generateLicenseKey();
    expect(await manager.validate(unknown)).toMatchObject({ valid: false, code: 'NOT_FOUND', license: null });
    for (const key of [unknown, 'legacy-key-123']) {
      expect(await manager.validate(key, { productId: 'other', hardwareId: 'hw' })).toMatchObject({
        valid: false,
        code: 'NOT_FOUND',
        license: null,
        device: null,
      });
    }
  });

  it('a known device never takes a second seat; deactivating frees one', async () => {
    const { manager, key, records } = await issued({ plans: () => ({ durationDays: null, maxDevices: 2 }) });
    const first = await manager.validate(key, { hardwareId: 'mac', deviceName: 'Mac' });
    expect(first.device).toMatchObject({ hardwareId: 'mac', deviceName: 'Mac' });
    for (let i = 0; i < 3; i++)
      expect((await manager.validate(key, { hardwareId: 'mac' })).code).toBe('VALID');
    expect((await manager.validate(key, { hardwareId: 'pc' })).code).toBe('VALID');
    expect(await manager.validate(key, { hardwareId: 'tablet' })).toMatchObject({
      valid: false,
      code: 'DEVICE_LIMIT_REACHED',
    });
    const freed = await manager.deactivateDevice(key, 'pc', { actor: 'customer' });
    expect(freed.devices.map((d) => d.hardwareId)).toEqual(['mac']);
    expect((await manager.validate(key, { hardwareId: 'tablet' })).code).toBe('VALID');
    expect(actions(await records()).filter((a) => a.startsWith('device_'))).toEqual([
      'device_activated:Mac:device:mac',
      'device_activated::device:pc',
      'device_deactivated:pc:customer',
      'device_activated::device:tablet',
    ]);
  });

  it('a hardwareId with white space around it is the device it bound, and frees its seat', async () => {
    const { manager, key, records } = await issued({ plans: () => ({ durationDays: null, maxDevices: 2 }) });
    expect((await manager.validate(key, { hardwareId: 'mac-1234\n' })).device?.hardwareId).toBe('mac-1234');
    for (const hardwareId of ['mac-1234\n', ' mac-1234', 'mac-1234']) {
      const result = await manager.validate(key, { hardwareId });
      expect(result).toMatchObject({ code: 'VALID', device: { hardwareId: 'mac-1234' } });
      expect(result.license?.devices).toHaveLength(1);
    }
    expect((await manager.deactivateDevice(key, 'mac-1234\n')).devices).toEqual([]);
    expect(actions(await records()).filter((a) => a.startsWith('device_'))).toEqual([
      'device_activated::device:mac-1234',
      'device_deactivated:mac-1234:admin',
    ]);
    await expect(manager.validate(key, { hardwareId: ' \n' })).rejects.toSatisfy((e) =>
      isLicenseKitError(e, 'INVALID_INPUT'),
    );
  });

  it('a hardwareId of 256 characters binds its seat and is audited', async () => {
    const { manager, key, records } = await issued();
    const hardwareId = 'h'.repeat(256);
    expect(await manager.validate(key, { hardwareId })).toMatchObject({ valid: true, code: 'VALID' });
    expect(actions(await records()).filter((a) => a.startsWith('device_'))).toEqual([
      `device_activated::device:${hardwareId}`,
    ]);
  });

  it('a request that is not an object is INVALID_INPUT, as every bad input is', async () => {
    const { manager, key } = await issued();
    for (const request of [null, 'hw', 7]) {
      await expect(manager.validate(key, request as unknown as object)).rejects.toSatisfy((e) =>
        isLicenseKitError(e, 'INVALID_INPUT'),
      );
    }
  });

  it("the README's plans give a Pro sale its term, seats and grace (grace is looked up by product)", async () => {
    // The plans of the README's first example, as written there.
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const source = /\n {2}plans: (\(\{ tier \}\) => \(\{[\s\S]*?\n {2}\}\)),\n/.exec(readme)?.[1];
    expect(source).toBeDefined();
    const readmePlans = new Function(`return ${source}`)() as NonNullable<LicenseManagerOptions['plans']>;
    const context = setup(kind, { plans: readmePlans });
    const { license } = await context.manager.handlePurchaseEvent(
      purchaseEventFixture({ purchase: { tier: 'Pro' } }),
    );
    expect(license).toMatchObject({ maxDevices: 3, expiresAt: '2026-03-01T10:00:00.000Z' });
    context.clock.advance({ days: 366 });
    expect((await context.manager.validate(license!.key)).code).toBe('GRACE_PERIOD');
  });

  it('grace is looked up without the tier: a grace given to one tier only is never given', async () => {
    const context = setup(kind, {
      plans: ({ tier }) => ({ durationDays: 30, maxDevices: 1, graceDays: tier === 'Pro' ? 7 : 0 }),
    });
    const { license } = await context.manager.handlePurchaseEvent(
      purchaseEventFixture({ purchase: { tier: 'Pro' } }),
    );
    context.clock.advance({ days: 31 });
    expect((await context.manager.validate(license!.key)).code).toBe('EXPIRED');
  });

  it('a license expires at its expiresAt: from that instant on, its grace and then EXPIRED', async () => {
    const { manager, key, clock } = await issued({
      plans: () => ({ durationDays: 30, maxDevices: 1, graceDays: 2 }),
    });
    clock.advance({ days: 30, ms: -1 });
    expect((await manager.validate(key)).code).toBe('VALID');
    clock.advance({ ms: 1 });
    expect((await manager.validate(key)).code).toBe('GRACE_PERIOD');
    clock.advance({ days: 2, ms: -1 });
    expect((await manager.validate(key)).code).toBe('GRACE_PERIOD');
    clock.advance({ ms: 1 });
    expect((await manager.validate(key)).code).toBe('EXPIRED');
  });

  it('a subscription that ended is EXPIRED at the instant its end is handled', async () => {
    const context = setup(kind, { plans: () => ({ durationDays: 30, maxDevices: 1 }) });
    const sale = purchaseEventFixture({ purchase: { subscriptionId: 'sub_1', isRecurring: true } });
    const { license } = await context.manager.handlePurchaseEvent(sale);
    const ended = await context.manager.handlePurchaseEvent(followUp(sale, 'subscription_ended'));
    expect(ended.action).toBe('expired');
    expect(await context.manager.validate(license!.key)).toMatchObject({ valid: false, code: 'EXPIRED' });
  });

  it('concurrent validations from new devices never exceed the seats', async () => {
    const { manager, key, records } = await issued(
      { plans: () => ({ durationDays: null, maxDevices: 1 }) },
      3,
    );
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => manager.validate(key, { hardwareId: `hw-${i}` })),
    );
    expect(results.filter((r) => r.code === 'VALID')).toHaveLength(3);
    expect(results.filter((r) => r.code === 'DEVICE_LIMIT_REACHED')).toHaveLength(9);
    const license = await manager.getLicense(key);
    expect(license?.devices).toHaveLength(3);
    expect(actions(await records()).filter((a) => a.startsWith('device_activated'))).toHaveLength(3);
  });

  it('a custom key format is used for issuing and validating', async () => {
    const keys = createLicenseKeyFormat({ prefix: 'IWC' });
    const { manager, key } = await issued({ keys });
    expect(key.startsWith('IWC-')).toBe(true);
    expect((await manager.validate(key.slice(4))).code).toBe('VALID');
  });
});
