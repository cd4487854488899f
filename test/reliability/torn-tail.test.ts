import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isLicenseKitError, type LicenseKitErrorCode } from '../../src/domain/errors.js';
import type { License } from '../../src/domain/license.js';
import { fileStorage, jsonFileLicenseStore, jsonlLicenseStore, jsonlPurchaseLog } from '../../src/node.js';
import { licenseFixture } from '../../src/testing/fixtures.js';
import { FaultyIO } from '../helpers/faulty-io.js';
import { inspectJsonl, leftoverFiles, readBytes, tornFiles } from '../helpers/files.js';
import { closeStorage, collect, recordFor } from '../helpers/storage.js';
import { TempDirs } from '../helpers/temp-dir.js';

// J1 / J2 / A6: torn tails, corrupt lines and corrupt documents, written by hand into real files.

const dirs = new TempDirs();
afterEach(() => dirs.removeAll());

/** Rejects with a licensekit error of `code`; returns the message. */
async function rejection(run: () => Promise<unknown>, code: LicenseKitErrorCode): Promise<string> {
  const error = await run().then(
    () => new Error('resolved, expected a rejection'),
    (e: unknown) => e,
  );
  if (!isLicenseKitError(error, code)) throw new Error(`expected ${code}, got: ${String(error)}`);
  return error.message;
}

/** Every newline-terminated line of `path`, parsed; fails on any bad line or torn tail. */
async function parsedLines(path: string): Promise<unknown[]> {
  const file = await inspectJsonl(path);
  expect(file?.badLines).toEqual([]);
  expect(file?.tornTail).toBeNull();
  return file!.values;
}

describe('torn tail of a JSONL file (crash mid-append)', () => {
  it('purchases.jsonl: scan returns the complete records; the next append cuts the fragment and keeps it', async () => {
    const dir = await dirs.make('torn-log');
    const path = join(dir, 'purchases.jsonl');
    const first = [0, 1, 2].map(() => recordFor(licenseFixture()));
    const log = jsonlPurchaseLog({ path });
    for (const record of first) await log.append(record);
    await log.close();
    const valid = await readFile(path);
    const fragment = JSON.stringify(recordFor(licenseFixture())).slice(0, 57);
    await appendFile(path, fragment);

    const reopened = jsonlPurchaseLog({ path });
    expect((await collect(reopened.scan())).map((r) => r.id)).toEqual(first.map((r) => r.id));
    const next = recordFor(licenseFixture());
    expect(await reopened.append(next)).toBe(true);
    await reopened.close();

    const torn = await tornFiles(dir);
    expect(torn).toHaveLength(1);
    expect(await readFile(join(dir, torn[0]!), 'utf8')).toBe(fragment);
    const bytes = await readFile(path);
    expect(bytes.subarray(0, valid.length).equals(valid)).toBe(true);
    const lines = await parsedLines(path);
    expect(lines).toHaveLength(1 + 3 + 1);
    expect(lines.at(-1)).toEqual(next);
    expect(bytes.toString('utf8').split('\n')).toHaveLength(1 + 3 + 1 + 1);

    const fresh = jsonlPurchaseLog({ path });
    expect((await collect(fresh.scan())).map((r) => r.id)).toEqual([...first, next].map((r) => r.id));
    await fresh.close();
  });

  it('licenses.jsonl: reads skip the torn line; the next insert cuts it and keeps it', async () => {
    const dir = await dirs.make('torn-journal');
    const path = join(dir, 'licenses.jsonl');
    const first = [licenseFixture(), licenseFixture(), licenseFixture()];
    const store = jsonlLicenseStore({ path });
    for (const license of first) await store.insert(license);
    await store.close();
    const valid = await readFile(path);
    const lost = licenseFixture();
    const fragment = JSON.stringify(lost).slice(0, 60);
    await appendFile(path, fragment);

    const reopened = jsonlLicenseStore({ path });
    expect((await collect(reopened.list())).map((l) => l.key)).toEqual(first.map((l) => l.key));
    expect(await reopened.get(lost.key)).toBeNull();
    const next = licenseFixture();
    expect((await reopened.insert(next)).created).toBe(true);
    await reopened.close();

    const torn = await tornFiles(dir);
    expect(torn).toHaveLength(1);
    expect(await readFile(join(dir, torn[0]!), 'utf8')).toBe(fragment);
    expect((await readFile(path)).subarray(0, valid.length).equals(valid)).toBe(true);
    const lines = await parsedLines(path);
    expect(lines).toEqual([lines[0], ...first, next]);

    const fresh = jsonlLicenseStore({ path });
    expect((await collect(fresh.list())).map((l) => l.key)).toEqual([...first, next].map((l) => l.key));
    await fresh.close();
  });
});

describe('cutting a torn tail fails half-way', () => {
  it('the cut is retried at once (same millisecond) and keeps a second copy instead of failing', async () => {
    const dir = await dirs.make('torn-retry');
    const path = join(dir, 'purchases.jsonl');
    const log = jsonlPurchaseLog({ path });
    await log.append(recordFor(licenseFixture()));
    await log.close();
    const fragment = JSON.stringify(recordFor(licenseFixture())).slice(0, 33);
    await appendFile(path, fragment);

    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      const io = new FaultyIO();
      const reopened = jsonlPurchaseLog({ path, io });
      const record = recordFor(licenseFixture());
      io.arm({ at: 1, only: 'ftruncate' });
      await rejection(() => reopened.append(record), 'STORAGE_IO');
      expect(io.disarm()).toHaveLength(1);
      expect(await reopened.append(record)).toBe(true);
      await reopened.close();
    } finally {
      vi.useRealTimers();
    }
    const torn = await tornFiles(dir);
    expect(torn).toHaveLength(2);
    for (const name of torn) expect(await readFile(join(dir, name), 'utf8')).toBe(fragment);
    const lines = await parsedLines(path);
    expect(lines).toHaveLength(3);
  });
});

describe('a corrupt line in the middle of a JSONL file', () => {
  const garbage = [
    '{"kind":"purch',
    '{"not":"a record"}',
    JSON.stringify({ ...licenseFixture(), customerName: 'n'.repeat(2049) }),
  ];

  for (const bad of garbage) {
    it(`purchases.jsonl line 3 = ${bad.slice(0, 40)}: STORAGE_CORRUPT naming file and line; file untouched`, async () => {
      const dir = await dirs.make('corrupt-log');
      const path = join(dir, 'purchases.jsonl');
      const log = jsonlPurchaseLog({ path });
      await log.append(recordFor(licenseFixture()));
      await log.close();
      await appendFile(path, `${bad}\n${JSON.stringify(recordFor(licenseFixture()))}\n`);
      const before = await readFile(path);

      const reopened = jsonlPurchaseLog({ path });
      for (const run of [
        () => collect(reopened.scan()),
        () => reopened.append(recordFor(licenseFixture())),
        () => collect(reopened.scan({ kind: 'license' })),
      ]) {
        const message = await rejection(run, 'STORAGE_CORRUPT');
        expect(message).toContain(path);
        expect(message).toContain('line 3');
      }
      await reopened.close();
      expect((await readFile(path)).equals(before)).toBe(true);
      expect(await leftoverFiles(dir)).toEqual([]);
    });

    it(`licenses.jsonl line 3 = ${bad.slice(0, 40)}: STORAGE_CORRUPT naming file and line; file untouched`, async () => {
      const dir = await dirs.make('corrupt-journal');
      const path = join(dir, 'licenses.jsonl');
      const kept = licenseFixture();
      const store = jsonlLicenseStore({ path });
      await store.insert(kept);
      await store.close();
      await appendFile(path, `${bad}\n${JSON.stringify(licenseFixture())}\n`);
      const before = await readFile(path);

      const reopened = jsonlLicenseStore({ path });
      for (const run of [
        () => reopened.get(kept.key),
        () => reopened.getByPurchase(kept.purchaseSource, kept.purchaseId),
        () => reopened.insert(licenseFixture()),
        () => reopened.update(kept.key, (l) => ({ ...l, status: 'revoked' })),
        () => collect(reopened.list()),
      ]) {
        const message = await rejection(run, 'STORAGE_CORRUPT');
        expect(message).toContain(path);
        expect(message).toContain('line 3');
      }
      await reopened.close();
      expect((await readFile(path)).equals(before)).toBe(true);
      expect(await leftoverFiles(dir)).toEqual([]);
    });
  }

  it('a JSONL header of a future version 2: STORAGE_UNSUPPORTED_VERSION, file untouched', async () => {
    const dir = await dirs.make('jsonl-v2');
    const log = join(dir, 'purchases.jsonl');
    const journal = join(dir, 'licenses.jsonl');
    await writeFile(log, '{"format":"licensekit-purchases","version":2}\n');
    await writeFile(journal, '{"format":"licensekit-license-journal","version":2}\n');
    const purchases = jsonlPurchaseLog({ path: log });
    const licenses = jsonlLicenseStore({ path: journal });
    await rejection(() => collect(purchases.scan()), 'STORAGE_UNSUPPORTED_VERSION');
    await rejection(() => purchases.append(recordFor(licenseFixture())), 'STORAGE_UNSUPPORTED_VERSION');
    await rejection(() => licenses.get('LK-X'), 'STORAGE_UNSUPPORTED_VERSION');
    await rejection(() => licenses.insert(licenseFixture()), 'STORAGE_UNSUPPORTED_VERSION');
    await closeStorage({ licenses, purchases });
    expect(await readFile(log, 'utf8')).toBe('{"format":"licensekit-purchases","version":2}\n');
    expect(await readFile(journal, 'utf8')).toBe('{"format":"licensekit-license-journal","version":2}\n');
  });
});

describe('a corrupt licenses.json', () => {
  /** A real licenses.json with three licenses, as fileStorage wrote it. */
  async function validDocument(): Promise<{ text: string; licenses: License[] }> {
    const dir = await dirs.make('valid-doc');
    const storage = fileStorage({ dir });
    const licenses = [licenseFixture(), licenseFixture(), licenseFixture()];
    for (const license of licenses) await storage.licenses.insert(license);
    await closeStorage(storage);
    return { text: await readFile(join(dir, 'licenses.json'), 'utf8'), licenses };
  }

  const cases: { name: string; code: LicenseKitErrorCode; content: () => Promise<string | Buffer> }[] = [
    { name: 'an empty file', code: 'STORAGE_CORRUPT', content: async () => '' },
    { name: 'all NUL bytes', code: 'STORAGE_CORRUPT', content: async () => Buffer.alloc(4096) },
    {
      name: 'a file truncated mid-string',
      code: 'STORAGE_CORRUPT',
      content: async () => {
        const { text, licenses } = await validDocument();
        return text.slice(0, text.indexOf(licenses[1]!.email) + 5);
      },
    },
    {
      name: 'valid JSON of the wrong shape (an array)',
      code: 'STORAGE_CORRUPT',
      content: async () => '[1,2,3]\n',
    },
    {
      name: 'valid JSON of the wrong shape (licenses is an object)',
      code: 'STORAGE_CORRUPT',
      content: async () => '{"format":"licensekit-licenses","version":1,"generation":3,"licenses":{}}\n',
    },
    {
      name: 'a license with a bad field',
      code: 'STORAGE_CORRUPT',
      content: async () => {
        const { text } = await validDocument();
        return text.replace('"status":"active"', '"status":"bogus"');
      },
    },
    {
      name: 'a license over a bound (a 257-character key)',
      code: 'STORAGE_CORRUPT',
      content: async () => {
        const { text, licenses } = await validDocument();
        return text.replace(licenses[1]!.key, 'K'.repeat(257));
      },
    },
    {
      name: 'a license with a field the format does not have',
      code: 'STORAGE_CORRUPT',
      content: async () => {
        const { text, licenses } = await validDocument();
        return text.replace(`"key":"${licenses[2]!.key}"`, `"key":"${licenses[2]!.key}","admin":true`);
      },
    },
    {
      name: 'a device with a timestamp that is not UTC',
      code: 'STORAGE_CORRUPT',
      content: async () => {
        const { text } = await validDocument();
        const device = { hardwareId: 'hw', deviceName: null, activatedAt: '2025-01-01T00:00:00+02:00' };
        return text.replace(
          '"devices":[]',
          `"devices":[${JSON.stringify({ ...device, lastSeenAt: device.activatedAt })}]`,
        );
      },
    },
    {
      name: 'two licenses with one key (in another case)',
      code: 'STORAGE_CORRUPT',
      content: async () => {
        const { text, licenses } = await validDocument();
        return text.replace(licenses[2]!.key, licenses[1]!.key.toLowerCase());
      },
    },
    {
      name: 'a corrupt body under a header that says generation 0',
      code: 'STORAGE_CORRUPT',
      content: async () => {
        const { text, licenses } = await validDocument();
        return text.replace(/"generation":\d+/, '"generation":0').slice(0, text.indexOf(licenses[2]!.key));
      },
    },
    {
      name: 'a future format version 2',
      code: 'STORAGE_UNSUPPORTED_VERSION',
      content: async () => (await validDocument()).text.replace('"version":1', '"version":2'),
    },
  ];

  for (const { name, code, content } of cases) {
    it(`${name}: every operation rejects with ${code}; the file is never rewritten`, async () => {
      const dir = await dirs.make('corrupt-json');
      const path = join(dir, 'licenses.json');
      await writeFile(path, await content());
      const before = await readFile(path);
      const storage = fileStorage({ dir });
      const { licenses } = storage;
      const someone = licenseFixture();
      for (const run of [
        () => licenses.get(someone.key),
        () => licenses.getByPurchase(someone.purchaseSource, someone.purchaseId),
        () => licenses.insert(someone),
        () => licenses.update(someone.key, (l) => ({ ...l, status: 'revoked' })),
        () => collect(licenses.list()),
        () => licenses.insert(licenseFixture()),
      ]) {
        expect(await rejection(run, code)).toContain(path);
      }
      await closeStorage(storage);
      expect((await readFile(path)).equals(before)).toBe(true);
      expect(await readBytes(`${path}.bak`)).toBeNull();
      expect(await leftoverFiles(dir)).toEqual([]);
    });
  }

  it.each([
    [
      'a syntax error on a license line',
      (text: string, keys: string[]) => text.replace(`"key":"${keys[1]}"`, `"key":${keys[1]}`),
      () => 'is not valid JSON at line 3 (',
    ],
    [
      'a file cut off mid-string',
      (text: string, keys: string[]) => text.slice(0, text.indexOf(keys[2]!) + 3),
      () => 'is not valid JSON at line 4 (',
    ],
    [
      'a bad value in the store layout',
      (text: string) => text.replace(/"maxDevices":\d+/, '"maxDevices":-1'),
      () => 'license #1 (line 2) is invalid',
    ],
    [
      'a bad value in a pretty-printed file (no line per license: its key says which)',
      (text: string) =>
        `${JSON.stringify(JSON.parse(text.replace(/"maxDevices":\d+/, '"maxDevices":-1')), null, 2)}\n`,
      (keys: string[]) => `license #1 (key "${keys[0]}") is invalid`,
    ],
  ])('%s: STORAGE_CORRUPT says where', async (_, corrupt, where) => {
    const dir = await dirs.make('corrupt-where');
    const { text, licenses } = await validDocument();
    const keys = licenses.map((license) => license.key);
    await writeFile(join(dir, 'licenses.json'), corrupt(text, keys));
    const storage = fileStorage({ dir });
    expect(await rejection(() => storage.licenses.get('any'), 'STORAGE_CORRUPT')).toContain(where(keys));
    await closeStorage(storage);
  });

  it('a licenses.json refused while open, then put back as it was, is read again before the next write', async () => {
    const dir = await dirs.make('json-restored');
    const path = join(dir, 'licenses.json');
    const store = jsonFileLicenseStore({ path, refreshMs: 1 });
    const licenses = [licenseFixture(), licenseFixture(), licenseFixture()];
    for (const license of licenses) await store.insert(license);
    const good = await readFile(path, 'utf8');
    // Another process writes a newer generation with two licenses under one key...
    const generation = Number(/"generation":(\d+)/.exec(good)![1]);
    const corrupt = good
      .replace(licenses[2]!.key, licenses[1]!.key)
      .replace(`"generation":${generation}`, `"generation":${generation + 1}`);
    const replace = async (text: string) => {
      await writeFile(`${path}.new`, text);
      await rename(`${path}.new`, path);
      await new Promise((resolve) => setTimeout(resolve, 5)); // the store looks at the file again
    };
    await replace(corrupt);
    await expect(store.get(licenses[0]!.key)).rejects.toMatchObject({ code: 'STORAGE_CORRUPT' });
    // ...and an operator puts back the version this process had read.
    await replace(good);
    await store.insert(licenseFixture());
    await store.close();
    const reread = jsonFileLicenseStore({ path });
    for (const license of licenses) expect(await reread.get(license.key)).not.toBeNull();
    await reread.close();
  });
});
