/** `license …` and `validate` through the LicenseManager, audited with actor `cli`. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord, License, ValidationResult } from '../../src/index.js';
import { TempDirs } from '../helpers/temp-dir.js';
import { buildCli, jsonOf, removeBuild, runCli, sale, seedShop, withStorage } from './helpers.js';

const temp = new TempDirs();
let bin: string;
let outDir: string;
let dir: string;
let keys: Record<string, string>;

beforeAll(async () => {
  ({ bin, outDir } = await buildCli());
  dir = await temp.make('cli-license');
  keys = await seedShop(dir);
});

afterAll(async () => {
  await temp.removeAll();
  await removeBuild(outDir);
});

const cli = (...args: string[]) => runCli(bin, [...args, '--data', dir]);
const stored = (key: string) => withStorage(dir, (manager) => manager.getLicense(key));

async function cliRecords(key: string): Promise<AuditRecord[]> {
  return withStorage(dir, async (manager) => {
    const records: AuditRecord[] = [];
    for await (const record of manager.audit.query({ kind: 'license', licenseKey: key })) {
      if (record.kind === 'license' && record.actor === 'cli') records.push(record);
    }
    return records;
  });
}

describe('license show and list', () => {
  it('show --json is the stored license and its history; any case finds it', async () => {
    const key = keys['g-1']!;
    const run = await cli('license', 'show', key.toLowerCase(), '--json');
    expect(run.code).toBe(0);
    const { license, history } = jsonOf<{ license: License; history: AuditRecord[] }>(run);
    expect(license).toEqual(await stored(key));
    expect(history.map((record) => (record.kind === 'license' ? record.action : record.event.type))).toEqual([
      'sale',
      'created',
    ]);
  });

  it('show prints every field, and a missing key is refused with exit 1', async () => {
    const run = await cli('license', 'show', keys['g-3']!);
    expect(run.stdout).toMatch(/^Key +\S+\nStatus +active\nProduct +pdf-tool\n/);
    expect(run.stdout).toContain('Expires       never (perpetual)');
    expect(run.stdout).toMatch(/History\n {2}2025-11-20 09:30 {2}sale on gumroad \(sale g-3\), 4800 JPY\n/);
    const missing = await cli('license', 'show', 'NO-SUCH-KEY');
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: 'licensekit: no license has the key "NO-SUCH-KEY"\n',
    });
  });

  it('a key of our shape with a typo is named as a typo', async () => {
    const key = keys['g-1']!;
    const typo = `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`;
    const run = await cli('license', 'show', typo);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`licensekit: "${typo}" has a typo: its check symbol does not match\n`);
  });

  it('list --json is findLicenses, with its filters', async () => {
    await withStorage(dir, async (manager) => {
      const all: License[] = [];
      for await (const license of manager.findLicenses({ productId: 'pdf-tool' })) all.push(license);
      expect(jsonOf(await cli('license', 'list', '--json', '--product', 'pdf-tool'))).toEqual(all);
    });
    const revoked = jsonOf<License[]>(await cli('license', 'list', '--json', '--status', 'revoked'));
    expect(revoked.map((license) => license.purchaseId).sort()).toEqual(['s-4', 's-5']);
    expect((await cli('license', 'list', '--status', 'revoked')).stdout).toMatch(/\n2 licenses\n$/);
  });
});

describe('license changes', () => {
  it('revoke, reinstate, suspend and extend change the license and are audited with actor cli', async () => {
    const key = keys['g-2']!;
    const revoked = await cli('license', 'revoke', key, '--reason', 'chargeback');
    expect(revoked).toEqual({ code: 0, stdout: `Revoked ${key}: revoked (chargeback)\n`, stderr: '' });
    expect((await stored(key))?.status).toBe('revoked');
    const again = await cli('license', 'revoke', key);
    expect(again.stdout).toBe(`${key} is already revoked (chargeback)\n`);
    expect(jsonOf<License>(await cli('license', 'reinstate', key, '--json')).status).toBe('active');
    const suspended = jsonOf<License>(await cli('license', 'suspend', key, '--json'));
    expect(suspended).toEqual(await stored(key));
    expect(suspended.statusReason).toBe('manual');
    await cli('license', 'reinstate', key);
    const extended = jsonOf<License>(await cli('license', 'extend', key, '--until', '2030-06-30', '--json'));
    expect(extended.expiresAt).toBe('2030-06-30T23:59:59.999Z');
    const plusDays = jsonOf<License>(await cli('license', 'extend', key, '--days', '30', '--json'));
    expect(plusDays.expiresAt).toBe('2030-07-30T23:59:59.999Z');
    const records = await cliRecords(key);
    expect(
      records.map(
        (record) =>
          `${record.kind === 'license' && record.action} ${record.kind === 'license' && record.reason}`,
      ),
    ).toEqual([
      'revoked chargeback',
      'reinstated null',
      'suspended manual',
      'reinstated null',
      'extended until 2030-06-30T23:59:59.999Z',
      'extended until 2030-07-30T23:59:59.999Z',
    ]);
  });

  it('extend says a perpetual license has nothing to extend by days, and refuses --until in the past', async () => {
    const key = keys['g-1']!;
    expect((await stored(key))?.expiresAt).toBeNull();
    const byDays = await cli('license', 'extend', key, '--days', '30');
    expect(byDays).toMatchObject({ code: 0, stdout: expect.stringContaining(`${key} never expires`) });
    for (const until of ['30d', '2020-01-01']) {
      const refused = await cli('license', 'extend', key, '--until', until);
      expect({ until, code: refused.code }).toEqual({ until, code: 2 });
    }
    expect((await stored(key))?.expiresAt).toBeNull();
    expect(await cliRecords(key)).toEqual([]);
  });

  it('an action named like an object property is an unknown action (exit 2), not a crash', async () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      const run = await cli('license', name, keys['g-1']!);
      expect({ name, code: run.code, stderr: run.stderr }).toEqual({
        name,
        code: 2,
        stderr: expect.stringContaining(`unknown action "${name}"`),
      });
    }
  });

  it('refuses to suspend a revoked license, and a missing one, with exit 1 and no change', async () => {
    const key = keys['s-4']!; // revoked by its refund
    const run = await cli('license', 'suspend', key);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `licensekit: ${key} is revoked; reinstate it before suspending it\n`,
    });
    expect(await cliRecords(key)).toEqual([]);
    expect((await cli('license', 'revoke', 'NOPE-123')).code).toBe(1);
  });

  it("validate takes the plan's grace as --grace-days, and refuses a blank or overlong --device (exit 2)", async () => {
    const expired = await withStorage(dir, (manager) =>
      manager.createLicense({
        email: 'late@example.com',
        customerName: 'Late',
        productId: 'app',
        expiresAt: new Date(Date.now() - 2 * 86_400_000).toISOString(),
      }),
    );
    expect(jsonOf<ValidationResult>(await cli('validate', expired.key, '--json'))).toMatchObject({
      code: 'EXPIRED',
    });
    const graced = await cli('validate', expired.key, '--grace-days', '7', '--json');
    expect(graced.code).toBe(0);
    expect(jsonOf<ValidationResult>(graced)).toMatchObject({ valid: true, code: 'GRACE_PERIOD' });
    for (const device of ['   ', 'd'.repeat(300)]) {
      expect((await cli('validate', expired.key, '--device', device)).code).toBe(2);
    }
  });

  it('validate binds a device like the app; deactivate frees it; unknown devices are refused', async () => {
    const key = keys['g-3']!;
    const first = await cli(
      'validate',
      key,
      '--device',
      'hw-1',
      '--device-name',
      'Laptop',
      '--product',
      'pdf-tool',
      '--json',
    );
    expect(first.code).toBe(0);
    const result = jsonOf<ValidationResult>(first);
    expect(result).toMatchObject({
      valid: true,
      code: 'VALID',
      device: { hardwareId: 'hw-1', deviceName: 'Laptop' },
    });
    expect(result.license).toEqual(await stored(key));
    const second = await cli('validate', key, '--device', 'hw-2');
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(/^DEVICE_LIMIT_REACHED: /);
    const mismatch = await cli('validate', key, '--product', 'image-weaver', '--json');
    expect([mismatch.code, jsonOf<ValidationResult>(mismatch).code]).toEqual([1, 'PRODUCT_MISMATCH']);
    expect((await cli('validate', 'NOT-A-KEY')).stdout).toMatch(/^NOT_FOUND: /);

    const unknown = await cli('license', 'deactivate', key, '--device', 'hw-9');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`licensekit: ${key} has no device "hw-9" (bound: hw-1)\n`);
    const freed = await cli('license', 'deactivate', key, '--device', 'hw-1');
    expect(freed.stdout).toBe(`Freed the seat of hw-1 on ${key}: 0 of 1 in use\n`);
    expect((await stored(key))?.devices).toEqual([]);
    expect((await cli('validate', key, '--device', 'hw-2')).code).toBe(0);
    expect((await cliRecords(key)).map((record) => record.kind === 'license' && record.action)).toEqual([
      'device_deactivated',
    ]);
  });
});

/** A C0 or C1 control character, or DEL. */
const isControl = (char: string): boolean => char < ' ' || (char >= '\u007f' && char <= '\u009f');

describe('terminal safety', () => {
  it('prints control characters from buyer and device data as \\xHH escapes, and keeps --json exact', async () => {
    const own = await temp.make('cli-license-escapes');
    // A buyer picks their own name at checkout; an app user their device name and id.
    const customerName = 'Mallory\u001b]0;owned\u0007';
    const key = await withStorage(own, async (manager) => {
      const event = sale('evil\u001b[2J-1', 2999, 'USD', '2025-12-03T10:00:00.000Z', {
        customerName,
        email: 'mallory@example.com',
        productId: 'app\u009b31m',
      });
      const { license } = await manager.handlePurchaseEvent(event);
      await manager.validate(license!.key, { hardwareId: 'hw\u001b[31m', deviceName: 'PC\nfake line' });
      return license!.key;
    });
    const run = (...args: string[]) => runCli(bin, [...args, '--data', own]);
    const [show, list, purchases] = [
      await run('license', 'show', key),
      await run('license', 'list'),
      await run('purchases'),
    ];
    for (const { code, stdout, stderr } of [show, list, purchases]) {
      expect([code, stderr]).toEqual([0, '']);
      expect([...stdout].filter((char) => char !== '\n' && isControl(char))).toEqual([]);
    }
    expect(show.stdout).toContain('Customer      Mallory\\x1b]0;owned\\x07 <mallory@example.com>\n');
    expect(show.stdout).toContain('  device      hw\\x1b[31m "PC\\x0afake line", since ');
    expect(show.stdout).toContain('sale on gumroad (sale evil\\x1b[2J-1), 29.99 USD\n');
    expect(list.stdout).toMatch(/ {2}app\\x9b31m {2}/);
    expect(purchases.stdout).toMatch(/ {2}evil\\x1b\[2J-1 {2}mallory@example\.com {2}app\\x9b31m {2}/);
    const json = jsonOf<{ license: License }>(await run('license', 'show', key, '--json'));
    expect(json.license.customerName).toBe(customerName);
  });
});
