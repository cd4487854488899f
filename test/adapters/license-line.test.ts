import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type FileIO, nodeFileIO } from '../../src/adapters/node/file-io.js';
import { LicenseLine, type LineToWrite } from '../../src/adapters/node/license-line.js';
import type { Device, License } from '../../src/domain/license.js';
import type { LicenseStore } from '../../src/index.js';
import { jsonFileLicenseStore } from '../../src/node.js';
import { deviceFixture, licenseFixture } from '../../src/testing.js';
import { TempDirs } from '../helpers/temp-dir.js';

/**
 * `LicenseLine` writes licenses.json's lines by hand and, after a telemetry change, replaces the
 * telemetry values in the bytes of the line before: its text must be exactly what `JSON.stringify`
 * writes for the license in the schema's field order, however the line was made, and a line read
 * from a file keeps its own spelling of everything but those values. The store reuses the bytes of
 * whole chunks of lines that did not change: the file must hold what the store holds after every
 * kind of write.
 */

// Characters JSON escapes or that trip hand-written writers: quotes, backslashes, control
// characters, U+2028/U+2029, a lone surrogate, and a pair.
const tricky = fc.constantFrom(
  'a',
  'Z',
  ' ',
  '"',
  '\\',
  '/',
  '\n',
  '\t',
  '\u0000',
  '\u007f',
  '\u2028',
  '\u2029',
  'é',
  '\ud800',
  '\u{1f600}',
);
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: tricky, maxLength: 12 }));
const id = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.string({ unit: tricky, minLength: 1, maxLength: 12 }),
);
const digits = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: length, maxLength: length });
const timestamp = fc
  .tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2), digits(3))
  .map(([y, mo, d, h, mi, s, ms]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
const count = fc.oneof(fc.nat(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER));
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

const device: fc.Arbitrary<Device> = fc.record({
  hardwareId: id,
  deviceName: nullable(text),
  activatedAt: timestamp,
  lastSeenAt: timestamp,
});
/** Licenses with their fields in the schema's order, 0 to 4 devices. */
const license: fc.Arbitrary<License> = fc.record({
  key: id,
  productId: id,
  email: text,
  customerName: text,
  createdAt: timestamp,
  expiresAt: nullable(timestamp),
  status: fc.constantFrom('active', 'suspended', 'revoked'),
  statusReason: nullable(text),
  maxDevices: count,
  devices: fc.array(device, { maxLength: 4 }),
  lastValidatedAt: nullable(timestamp),
  validationCount: count,
  purchaseSource: id,
  purchaseId: id,
  subscriptionId: nullable(text),
  deliveredAt: nullable(timestamp),
});

/** `current` after a validation: each telemetry value kept or replaced. */
const telemetryOf = (current: License) => {
  const keptOr = <T>(value: T, arb: fc.Arbitrary<T>) => fc.oneof(fc.constant(value), arb);
  return fc
    .record({
      lastValidatedAt: keptOr(current.lastValidatedAt, nullable(timestamp)),
      validationCount: keptOr(current.validationCount, count),
      lastSeen: fc.tuple(...current.devices.map((d) => keptOr(d.lastSeenAt, timestamp))),
    })
    .map(
      ({ lastValidatedAt, validationCount, lastSeen }): License => ({
        ...current,
        lastValidatedAt,
        validationCount,
        devices: current.devices.map((d, i) => ({ ...d, lastSeenAt: lastSeen[i]! })),
      }),
    );
};

const nonTelemetryFields = [
  'key',
  'productId',
  'email',
  'customerName',
  'createdAt',
  'expiresAt',
  'status',
  'statusReason',
  'maxDevices',
  'devices',
  'purchaseSource',
  'purchaseId',
  'subscriptionId',
  'deliveredAt',
] as const satisfies readonly (keyof License)[];

/** `line` written into a buffer of its own: a written line, whose bytes later lines are made from. */
const written = (line: LineToWrite): LicenseLine => line.writeTo(Buffer.alloc(line.length), 0);
/** The text of `line` once written. */
const textOf = (line: LineToWrite): string => {
  const bytes = Buffer.alloc(line.length);
  line.writeTo(bytes, 0);
  return bytes.toString();
};
/** The line of `license` serialized afresh and written. */
const fresh = (license: License): LicenseLine => written(LicenseLine.of(license));

describe('LicenseLine', () => {
  it('writes a license exactly as JSON.stringify does in the schema order, and it parses back equal', () => {
    fc.assert(
      fc.property(license, (l) => {
        const line = LicenseLine.of(l);
        expect(textOf(line)).toBe(JSON.stringify(l));
        expect(JSON.parse(textOf(line))).toEqual(l);
        expect(line.license).toBe(l);
      }),
    );
  });

  it('writes the schema order whatever the order of the object’s own fields', () => {
    fc.assert(
      fc.property(license, (l) => {
        const reversed = Object.fromEntries(Object.entries(l).reverse()) as unknown as License;
        expect(textOf(LicenseLine.of(reversed))).toBe(JSON.stringify(l));
      }),
    );
  });

  it('rebuilds the line of telemetry-only changes, in a row, as a fresh write would', () => {
    const changes = license.chain((l) =>
      fc.tuple(fc.constant(l), telemetryOf(l), telemetryOf(l), telemetryOf(l)),
    );
    fc.assert(
      fc.property(changes, ([first, ...next]) => {
        let line = fresh(first);
        for (const l of next) {
          const changed = LicenseLine.of(l, line);
          expect(textOf(changed)).toBe(textOf(LicenseLine.of(l)));
          line = written(changed);
          expect(line.license).toEqual(l);
        }
      }),
    );
  });

  it('replaces the telemetry values of a line written at an offset of a bigger buffer', () => {
    const changes = license.chain((l) => fc.tuple(fc.constant(l), telemetryOf(l), telemetryOf(l)));
    fc.assert(
      fc.property(changes, fc.nat({ max: 9 }), ([first, second, third], offset) => {
        const fresh = LicenseLine.of(first);
        const buffer = Buffer.alloc(offset + fresh.length + 5, '#');
        const placed = fresh.writeTo(buffer, offset);
        expect(buffer.toString('utf8', 0, offset)).toBe('#'.repeat(offset));
        expect(buffer.toString('utf8', offset + placed.length)).toBe('#####');
        const next = LicenseLine.of(second, placed);
        const target = Buffer.alloc(next.length + 3, '#');
        const moved = next.writeTo(target, 3);
        expect(textOf(moved)).toBe(JSON.stringify(second));
        expect(textOf(LicenseLine.of(third, moved))).toBe(JSON.stringify(third));
      }),
    );
  });

  it('moves what follows a value that changes length, even when the line keeps its length', () => {
    const l = licenseFixture({
      devices: [
        deviceFixture({ lastSeenAt: '2025-01-01T00:00:00Z' }),
        deviceFixture({ lastSeenAt: '2025-01-01T00:00:00.0000000Z' }),
      ],
      maxDevices: 2,
    });
    const at = '2025-02-01T00:00:00.000Z';
    const next: License = { ...l, devices: l.devices.map((d) => ({ ...d, lastSeenAt: at })) };
    const line = LicenseLine.of(next, fresh(l));
    expect(line.length).toBe(LicenseLine.of(l).length);
    expect(textOf(line)).toBe(JSON.stringify(next));
  });

  it('writes a line read from a file as it is, and afresh at its first telemetry change', () => {
    // As another writer may spell it: every character past ASCII escaped, after some other bytes.
    const escapeNonAscii = (line: string) =>
      line.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const changes = license.chain((l) =>
      fc
        .tuple(fc.constant(l), telemetryOf(l), fc.boolean())
        .chain(([first, next, escaped]) =>
          fc.tuple(fc.constant(first), fc.constant(next), telemetryOf(next), fc.constant(escaped)),
        ),
    );
    fc.assert(
      fc.property(changes, ([l, next, after, escaped]) => {
        const spell = (x: License) => (escaped ? escapeNonAscii(JSON.stringify(x)) : JSON.stringify(x));
        const file = Buffer.from(`é,${spell(l)},ü`);
        const start = Buffer.byteLength('é,');
        const read = LicenseLine.read(l, file, start, file.length - Buffer.byteLength(',ü'));
        expect(textOf(read)).toBe(spell(l));
        const changed = LicenseLine.of(next, read);
        const unchanged = changed === read;
        expect(textOf(changed)).toBe(unchanged ? spell(l) : JSON.stringify(next));
        const later = LicenseLine.of(after, written(changed));
        expect(JSON.parse(textOf(later))).toEqual(after);
        if (!unchanged) expect(textOf(later)).toBe(JSON.stringify(after));
      }),
    );
  });

  it('writes the telemetry change of a line read from a file afresh, however the file spells it', () => {
    const l = licenseFixture({
      customerName: 'A "lastSeenAt":"2025-01-01T00:00:00.000Z" fan',
      devices: [deviceFixture(), deviceFixture()],
      maxDevices: 2,
      lastValidatedAt: '2025-01-01T00:00:00.000Z',
      validationCount: 7,
    });
    const next: License = {
      ...l,
      lastValidatedAt: '2025-02-01T00:00:00.000Z',
      validationCount: 8,
      devices: l.devices.map((d) => ({ ...d, lastSeenAt: '2025-02-01T00:00:00.000Z' })),
    };
    const { lastValidatedAt, validationCount, ...rest } = l;
    const asWritten = JSON.stringify(l);
    const seen = `"lastSeenAt":"${l.devices[1]!.lastSeenAt}"`;
    const layouts = [
      asWritten, // the name's quotes are escaped, so it holds no member
      asWritten.replace('"validationCount":7', '"validationCount": 7'),
      asWritten.replace('"validationCount":7', '"validationCount":7.0'),
      JSON.stringify({ validationCount, lastValidatedAt, ...rest }), // out of order
      // A member twice (the last one counts), spelled alike or not.
      `{"validationCount":1,${asWritten.slice(1)}`,
      `${asWritten.slice(0, -1)},"validationCount" :7}`,
      `${asWritten.slice(0, -1)},"validation\\u0043ount":7}`,
      `${asWritten.slice(0, -1)},"lastValidatedAt" :"${lastValidatedAt}"}`,
      asWritten.replace(seen, `${seen},${seen.replace('":', '" :')}`),
    ];
    for (const layout of layouts) {
      expect(JSON.parse(layout)).toEqual(l);
      const bytes = Buffer.from(layout);
      const line = LicenseLine.of(next, LicenseLine.read(l, bytes, 0, bytes.length));
      expect(textOf(line)).toBe(JSON.stringify(next));
    }
  });

  it('replaces the telemetry values of a line serialized here, whatever its text holds', () => {
    const l = licenseFixture({
      customerName: 'A "lastSeenAt":"2025-01-01T00:00:00.000Z" fan \u0000 é',
      devices: [deviceFixture({ deviceName: '"validationCount":1,' })],
      maxDevices: 2,
    });
    const next: License = { ...l, validationCount: 1, lastValidatedAt: '2025-02-01T00:00:00.000Z' };
    const line = LicenseLine.of(next, fresh(l));
    expect(line).not.toBeInstanceOf(LicenseLine); // the bytes with new values, not a fresh line
    expect(textOf(line)).toBe(JSON.stringify(next));
  });

  it('keeps the line of a license that did not change', () => {
    fc.assert(
      fc.property(license, (l) => {
        const line = fresh(l);
        const copy = { ...l, devices: l.devices.map((d) => ({ ...d })) };
        expect(LicenseLine.of(copy, line)).toBe(line);
      }),
    );
  });

  it('writes a fresh line for any other change, devices added, removed or replaced included', () => {
    const changed = fc
      .tuple(license, license, fc.constantFrom(...nonTelemetryFields))
      .map(([l, other, field]): [License, License] => [l, { ...l, [field]: other[field] }])
      .filter(([l, next]) => JSON.stringify(l) !== JSON.stringify(next));
    fc.assert(
      fc.property(changed, ([l, next]) => {
        const line = LicenseLine.of(next, fresh(l));
        expect(textOf(line)).toBe(JSON.stringify(next));
        expect(line.license).toBe(next);
      }),
    );
  });

  it('writes a fresh line when one device of as many is another', () => {
    const changed = license
      .filter((l) => l.devices.length > 0)
      .chain((l) =>
        fc.tuple(
          fc.constant(l),
          fc.nat({ max: l.devices.length - 1 }),
          fc.constantFrom('hardwareId', 'deviceName', 'activatedAt'),
          id,
        ),
      )
      .map(([l, i, field, value]): [License, License] => [
        l,
        { ...l, devices: l.devices.map((d, j) => (j === i ? { ...d, [field]: value } : d)) },
      ])
      .filter(([l, next]) => JSON.stringify(l) !== JSON.stringify(next));
    fc.assert(
      fc.property(changed, ([l, next]) => {
        expect(textOf(LicenseLine.of(next, fresh(l)))).toBe(JSON.stringify(next));
      }),
    );
  });
});

describe('licenses.json written in chunks of lines', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.removeAll());

  it('holds exactly the licenses in memory after flushes, updates, inserts and a failed write', async () => {
    const path = join(await dirs.make('license-lines'), 'licenses.json');
    // Three chunks and a bit, as another process wrote them; devices: none, one or three.
    const seeded = Array.from({ length: 6500 }, (_, i) =>
      licenseFixture({
        maxDevices: 3,
        devices: Array.from({ length: i % 3 === 0 ? 0 : i % 3 === 1 ? 1 : 3 }, () => deviceFixture()),
      }),
    );
    writeFileSync(
      path,
      `{"format":"licensekit-licenses","version":1,"generation":1,"licenses":[\n${seeded.map((l) => JSON.stringify(l)).join(',\n')}\n]}\n`,
    );
    let failRename = false;
    const io: FileIO = {
      ...nodeFileIO,
      rename: async (from, to) => {
        if (failRename && to === path) throw Object.assign(new Error('injected'), { code: 'EIO' });
        return nodeFileIO.rename(from, to);
      },
    };
    const store = jsonFileLicenseStore({ path, io, telemetryFlushMs: 60_000 });
    const keys = seeded.map((l) => l.key);
    const written = () => JSON.parse(readFileSync(path, 'utf8')).licenses as License[];
    const held = async (s: LicenseStore) => {
      const licenses: License[] = [];
      for await (const license of s.list()) licenses.push(license);
      return licenses;
    };
    const validate = (l: License, at: string): License => ({
      ...l,
      lastValidatedAt: at,
      validationCount: l.validationCount + 1,
      devices: l.devices.map((d) => ({ ...d, lastSeenAt: at })),
    });
    const suspend = (key: string) =>
      store.update(key, (l) => ({ ...l, status: 'suspended', statusReason: 'manual' }));

    await suspend(keys[3000]!); // the first write: every line fresh
    expect(written()).toEqual(await held(store));
    for (const [round, at] of ['2025-01-01T00:00:00.000Z', '2025-01-02T00:00:00.000Z'].entries()) {
      for (const key of keys) await store.update(key, (l) => validate(l, at));
      // Telemetry only here and there: whole chunks stay as written.
      await store.update(keys[round * 10]!, (l) => validate(l, '2025-02-01T00:00:00.000Z'));
      await suspend(keys[100 + round]!); // writes every license's telemetry, rebuilt from the parts
      expect(written()).toEqual(await held(store));
    }
    await suspend(keys[5000]!); // one line changes, one chunk is encoded
    expect(written()).toEqual(await held(store));
    await store.update(keys[6499]!, (l) => ({ ...l, devices: [] })); // a device removed, in the last chunk
    await store.update(keys[1]!, (l) => ({ ...l, devices: [...l.devices, deviceFixture()] })); // and one added
    await store.insert(licenseFixture());
    expect(written()).toEqual(await held(store));

    failRename = true;
    await expect(suspend(keys[2]!)).rejects.toThrow();
    failRename = false;
    await store.update(keys[4]!, (l) => validate(l, '2025-03-01T00:00:00.000Z'));
    await store.insert(licenseFixture());
    expect(written()).toEqual(await held(store));
    expect(written()[2]!.status).toBe('active');
    await store.close();

    const reopened = jsonFileLicenseStore({ path });
    expect(await held(reopened)).toEqual(written());
    await reopened.close();
  });
});

describe('licenses.json as read: the first write after opening', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.removeAll());

  const head = '{"format":"licensekit-licenses","version":1,"generation":1,"licenses":[\n';
  const footer = '\n]}\n';
  const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')).licenses as License[];
  const held = async (store: LicenseStore) => {
    const licenses: License[] = [];
    for await (const license of store.list()) licenses.push(license);
    return licenses;
  };
  const suspend = (store: LicenseStore, key: string) =>
    store.update(key, (l) => ({ ...l, status: 'suspended', statusReason: 'manual' }));

  it('keeps the bytes of every chunk it does not change, as later writes do', async () => {
    const path = join(await dirs.make('as-read'), 'licenses.json');
    // `\u00e9` is é escaped: the same license, in bytes that a fresh encoding would not write.
    const seeded = Array.from({ length: 5000 }, () =>
      licenseFixture({ customerName: 'Ren\u00e9', devices: [deviceFixture()], maxDevices: 2 }),
    );
    const escaped = (l: License) => JSON.stringify(l).replace('Ren\u00e9', 'Ren\\u00e9');
    writeFileSync(path, `${head}${seeded.map(escaped).join(',\n')}${footer}`);
    const store = jsonFileLicenseStore({ path, telemetryFlushMs: 60_000 });
    await suspend(store, seeded[4500]!.key); // in the third chunk of 2,048 lines
    const lines = readFileSync(path, 'utf8').split('\n').slice(1, -2);
    expect(lines).toHaveLength(5000);
    // Only the changed license is written afresh; the others keep their text, even in its chunk.
    expect(lines.filter((line) => line.includes('Ren\\u00e9'))).toHaveLength(4999);
    expect(lines[4500]).toContain('René');
    expect(read(path)).toEqual(await held(store));
    await store.close();
    const reopened = jsonFileLicenseStore({ path });
    expect(await held(reopened)).toEqual(read(path));
    expect((await reopened.get(seeded[4500]!.key))?.status).toBe('suspended');
    await reopened.close();
  });

  it('writes valid UTF-8 after reading a file that is not: the bad bytes are not copied', async () => {
    const path = join(await dirs.make('bad-utf8'), 'licenses.json');
    const seeded = Array.from({ length: 3 }, () => licenseFixture({ customerName: 'XX' }));
    const bytes = Buffer.from(`${head}${seeded.map((l) => JSON.stringify(l)).join(',\n')}${footer}`);
    bytes[bytes.indexOf('XX')] = 0xff; // the first license's name: not UTF-8
    writeFileSync(path, bytes);
    const store = jsonFileLicenseStore({ path, telemetryFlushMs: 60_000 });
    await suspend(store, seeded[2]!.key);
    await store.close();
    const text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(path));
    expect(JSON.parse(text).licenses[0].customerName).toBe('\ufffdX');
  });

  // Layouts licensekit never writes, read line by line (spaces around a value) or whole (the
  // others): either way a write leaves exactly what is held.
  const layouts: [string, (licenses: License[]) => string][] = [
    [
      'pretty-printed',
      (ls) =>
        JSON.stringify({ format: 'licensekit-licenses', version: 1, generation: 1, licenses: ls }, null, 2),
    ],
    [
      'two licenses on a line, one over two lines',
      (ls) => {
        const [a, b, c, ...rest] = ls.map((l) => JSON.stringify(l));
        const split = c!.replace(',"productId"', ',\n"productId"');
        return `${head}${a},${b},\n${split}${rest.map((l) => `,\n${l}`).join('')}${footer}`;
      },
    ],
    [
      'commas at the start of lines',
      (ls) => `${head}${ls.map((l) => JSON.stringify(l)).join('\n,')}${footer}`,
    ],
    [
      'CRLF line breaks',
      (ls) => `${head}${ls.map((l) => JSON.stringify(l)).join(',\r\n')}${footer}`.replaceAll('[\n', '[\r\n'),
    ],
    [
      'spaces around the values',
      (ls) => `${head}${ls.map((l) => ` ${JSON.stringify(l)} `).join(',\n')}${footer}`,
    ],
    [
      'a license the schema trims',
      (ls) =>
        `${head}${ls.map((l, i) => JSON.stringify(i === 1 ? { ...l, key: `${l.key} ` } : l)).join(',\n')}${footer}`,
    ],
    // Lines that each start with their own license's key, yet hold more than it.
    [
      'a member after the licenses',
      (ls) => `${head}${ls.map((l) => JSON.stringify(l)).join(',\n')}],"x":[0${footer}`,
    ],
    [
      'the licenses twice, the first time as stubs, one per line',
      (ls) => {
        const stubs = ls.map((l) => `{"key":"${l.key}"}`);
        const all = ls.map((l) => JSON.stringify(l)).join(',');
        return `${head}${stubs.join(',\n')}],"licenses":[${all}${footer}`;
      },
    ],
    [
      'a member of one license twice, the rest of it on the next license’s line',
      (ls) => {
        const lines = ls.map((l) => JSON.stringify(l));
        const [before, after] = lines[2]!.split('"devices":[');
        lines.splice(
          2,
          2,
          `${before}"devices":[{"x":0}`,
          `{"key":"${ls[3]!.key}"}],"devices":[${after},${lines[3]}`,
        );
        return `${head}${lines.join(',\n')}${footer}`;
      },
    ],
  ];
  for (const [name, layout] of layouts) {
    it(`${name}: opens, writes and reopens with the licenses held`, async () => {
      const path = join(await dirs.make('layout'), 'licenses.json');
      const seeded = Array.from({ length: 5 }, () =>
        licenseFixture({ devices: [deviceFixture()], maxDevices: 2 }),
      );
      writeFileSync(path, layout(seeded));
      const store = jsonFileLicenseStore({ path, telemetryFlushMs: 60_000 });
      expect((await held(store)).map((l) => l.key)).toEqual(seeded.map((l) => l.key));
      await suspend(store, seeded[3]!.key);
      await store.insert(licenseFixture());
      const written = read(path);
      expect(written).toEqual(await held(store));
      expect(written).toHaveLength(6);
      expect(written[1]!.key).toBe(seeded[1]!.key);
      await store.close();
      const reopened = jsonFileLicenseStore({ path });
      expect(await held(reopened)).toEqual(written);
      await reopened.close();
    });
  }
});

describe('licenses.json as read, written by two instances in turn (as two processes)', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.removeAll());

  it('holds every acknowledged change, whichever instance read the file last', async () => {
    const nameList = ['Zoë', 'Ana', '李雷', 'Ren\u00e9 😀', 'plain'];
    const names = fc.constantFrom(...nameList);
    const op = fc.record({
      by: fc.constantFrom(0, 1),
      kind: fc.constantFrom('suspend', 'rename', 'insert'),
      pick: fc.nat(),
      name: names,
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        // Up to three chunks of 2,048 lines, so that writes keep some chunks as read.
        fc.integer({ min: 1, max: 5000 }),
        fc.array(op, { maxLength: 10 }),
        async (size, ops) => {
          const path = join(await dirs.make(`turns-${run++}`), 'licenses.json');
          const seeded = Array.from({ length: size }, (_, i) =>
            licenseFixture({ customerName: nameList[(i * 7 + size) % nameList.length] }),
          );
          // As licensekit writes it, but with the non-ASCII characters of every other line escaped.
          const escapeNonAscii = (line: string) =>
            line.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
          writeFileSync(
            path,
            `{"format":"licensekit-licenses","version":1,"generation":1,"licenses":[\n${seeded.map((l, i) => (i % 2 ? JSON.stringify(l) : escapeNonAscii(JSON.stringify(l)))).join(',\n')}\n]}\n`,
          );
          const expected = new Map(seeded.map((l) => [l.key, l]));
          const stores = [0, 1].map(() => jsonFileLicenseStore({ path, telemetryFlushMs: 60_000 }));
          for (const [step, { by, kind, pick, name }] of ops.entries()) {
            const store = stores[by]!;
            const keys = [...expected.keys()];
            const key = keys[pick % keys.length]!;
            let result: License | null;
            if (kind === 'insert') {
              result = (await store.insert(licenseFixture({ customerName: name }))).license;
            } else {
              const change =
                kind === 'suspend'
                  ? { status: 'suspended' as const, statusReason: `step ${step}` }
                  : { customerName: `${name} ${step}` };
              result = await store.update(key, (l) => ({ ...l, ...change }));
            }
            expected.set(result!.key, result!);
          }
          await Promise.all(stores.map((store) => store.close()));
          const reopened = jsonFileLicenseStore({ path });
          const held = new Map<string, License>();
          for await (const license of reopened.list()) held.set(license.key, license);
          await reopened.close();
          expect(held).toEqual(expected);
        },
      ),
      { numRuns: 25 },
    );
  });
});
