/**
 * validate and deactivateDevice trim a hardwareId as stored devices are, so an id sent with white
 * space around it is still the device it bound: its length is measured trimmed, and the CLI's
 * `license deactivate --device` trims it too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { LicenseManager, memoryStorage } from '../../src/index.js';
import { fileStorage } from '../../src/node.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe('hardwareId trimming', () => {
  it('validate: a bound 256-character id sent with a trailing line break is still that device', async () => {
    const manager = new LicenseManager({ storage: memoryStorage() });
    const license = await manager.createLicense({
      email: 'a@example.com',
      customerName: 'A',
      productId: 'app',
    });
    const id = 'h'.repeat(256); // the longest id a device may have
    expect((await manager.validate(license.key, { hardwareId: id })).code).toBe('VALID');
    // The same id read from a file with its line break: its length is measured once trimmed.
    const again = await manager.validate(license.key, { hardwareId: `${id}\n` });
    expect(again.code).toBe('VALID');
    expect(again.license?.devices).toHaveLength(1);
  });

  it('CLI license deactivate --device: an id with white space around it frees the seat, as deactivateDevice does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-deactivate-trim-'));
    dirs.push(dir);
    const manager = new LicenseManager({ storage: fileStorage({ dir }) });
    const license = await manager.createLicense({
      email: 'a@example.com',
      customerName: 'A',
      productId: 'app',
    });
    await manager.validate(license.key, { hardwareId: 'ada-laptop' });
    await manager.close();

    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    // An id pasted from a Windows file keeps its CR; the library trims it, the CLI's pre-check does not.
    const code = await main([
      'license',
      'deactivate',
      license.key,
      '--device',
      'ada-laptop\r',
      '--data',
      dir,
    ]);
    expect(code, String(stderr.mock.calls.map((call) => call[0]).join(''))).toBe(0);

    const reopened = new LicenseManager({ storage: fileStorage({ dir }) });
    expect((await reopened.getLicense(license.key))?.devices).toEqual([]);
    await reopened.close();
  });
});
