import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Device, isCanonicalLicense, type License, licenseSchema } from '../../src/domain/license.js';
import { licenseFixture } from '../../src/testing/fixtures.js';

/**
 * `isCanonicalLicense` is the hand-written twin of `licenseSchema` that stores use on records they
 * read back. It is safe only while it says true exactly when the schema accepts a value and returns
 * it unchanged; these properties check that on valid licenses and on many broken ones.
 */

/** What the twin must answer: the schema accepts `value` and returns it as it is. */
function schemaKeeps(value: unknown): boolean {
  const result = licenseSchema.safeParse(value);
  return result.success && isDeepStrictEqual(result.data, value);
}

/** A record as a store reads it back: through JSON. */
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

// String.prototype.trim's white space, and look-alikes it keeps (U+0085, U+180E, U+200B).
const trimmed = ' \t\n\v\f\r\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';
const kept = '\u0085\u180e\u200bx';
/** Lengths at and around every bound of the schema parts (1 and 256 for ids, 256, 2048). */
const boundLengths = [0, 1, 2, 255, 256, 257, 2047, 2048, 2049];

const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
/** Timestamps the pattern accepts: any digits in place, 0 to 9 fraction digits. */
const timestamp = fc
  .tuple(digits(4, 4), digits(2, 2), digits(2, 2), digits(2, 2), digits(2, 2), digits(2, 2), digits(0, 9))
  .map(([y, mo, d, h, mi, s, f]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${f ? `.${f}` : ''}Z`);
/** Strings at the bounds, in UTF-16 units or in code points (zod's `max` counts code points). */
const atBound = fc
  .tuple(fc.constantFrom(...boundLengths), fc.constantFrom('a', 'é', '\u{1f600}', '\ud800'), fc.boolean())
  .map(([length, char, inUnits]) => (inUnits ? char.repeat(length).slice(0, length) : char.repeat(length)));
const anyText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 6, unit: 'binary' }),
  atBound,
  fc
    .tuple(fc.constantFrom(...trimmed, ...kept), fc.string({ maxLength: 6 }), fc.boolean())
    .map(([pad, text, before]) => (before ? pad + text : text + pad)),
);
const id = fc
  .oneof(anyText, fc.constantFrom('k'.repeat(256)))
  .filter((text) => text.length >= 1 && text.length <= 256 && text.trim() === text);
const shortText = anyText.filter((text) => text.length <= 256);
const longText = anyText.filter((text) => text.length <= 2048);
const count = fc.oneof(fc.nat(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER));
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

const device: fc.Arbitrary<Device> = fc.record({
  hardwareId: id,
  deviceName: nullable(longText),
  activatedAt: timestamp,
  lastSeenAt: timestamp,
});
/** Valid licenses, every field drawn up to its bounds. */
const license: fc.Arbitrary<License> = fc.record({
  key: id,
  productId: id,
  email: shortText,
  customerName: longText,
  createdAt: timestamp,
  expiresAt: nullable(timestamp),
  status: fc.constantFrom('active', 'suspended', 'revoked'),
  statusReason: nullable(longText),
  maxDevices: count,
  devices: fc.array(device, { maxLength: 3 }),
  lastValidatedAt: nullable(timestamp),
  validationCount: count,
  purchaseSource: id,
  purchaseId: id,
  subscriptionId: nullable(shortText),
  deliveredAt: nullable(timestamp),
});

/** Any value a broken record might hold in a field. */
const anything: fc.Arbitrary<unknown> = fc.oneof(
  anyText,
  timestamp,
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, true, -1, 0.5, 1e21, 2 ** 53, Number.MAX_SAFE_INTEGER, 'Active', 'expired', [], {}),
  device,
  fc.array(device, { maxLength: 2 }),
);
const licenseFields = Object.keys(licenseFixture()) as (keyof License)[];
const deviceFields: (keyof Device)[] = ['hardwareId', 'deviceName', 'activatedAt', 'lastSeenAt'];
const fieldName = fc.constantFrom<string>(
  ...licenseFields,
  ...deviceFields,
  'extra',
  '__proto__',
  'constructor',
);

type Mutation =
  | { kind: 'set'; field: string; value: unknown; inDevice: number }
  | { kind: 'delete'; field: string; inDevice: number }
  | { kind: 'edit'; field: string; at: number; text: string; remove: number; inDevice: number };

/** One change to a license, or (when `inDevice` names one) to one of its devices. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('set'),
    field: fieldName,
    value: anything,
    inDevice: fc.integer({ min: -1, max: 2 }),
  }),
  fc.record({ kind: fc.constant('delete'), field: fieldName, inDevice: fc.integer({ min: -1, max: 2 }) }),
  fc.record({
    kind: fc.constant('edit'),
    field: fieldName,
    at: fc.nat(40),
    text: fc.oneof(fc.string({ maxLength: 2 }), fc.constantFrom('0', '.', 'Z', 'z', '\n', ' ', '0123456789')),
    remove: fc.nat(2),
    inDevice: fc.integer({ min: -1, max: 2 }),
  }),
);

/** `license` with `mutations` applied to a copy; an own `__proto__` key stays an ordinary key. */
function mutate(original: License, mutations: readonly Mutation[]): unknown {
  const copy = structuredClone(original) as unknown as Record<string, unknown>;
  for (const change of mutations) {
    const devices = copy.devices;
    const target = (
      change.inDevice < 0 ? copy : Array.isArray(devices) ? devices[change.inDevice] : undefined
    ) as Record<string, unknown> | null | undefined;
    if (typeof target !== 'object' || target === null) continue;
    const set = (value: unknown) =>
      Object.defineProperty(target, change.field, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    if (change.kind === 'set') set(change.value);
    else if (change.kind === 'delete') delete target[change.field];
    else {
      const text = target[change.field];
      if (typeof text !== 'string') continue;
      set(text.slice(0, change.at) + change.text + text.slice(change.at + change.remove));
    }
  }
  return copy;
}

/** A valid license with one device, whose timestamps have no and nine fraction digits. */
const fixture = licenseFixture({
  devices: [
    {
      hardwareId: 'hw-1',
      deviceName: null,
      activatedAt: '2025-01-01T00:00:00Z',
      lastSeenAt: '2025-01-01T00:00:00.123456789Z',
    },
  ],
});

describe('isCanonicalLicense, the twin of licenseSchema for stored records', () => {
  it('accepts every valid license, as the schema does, unchanged', () => {
    fc.assert(
      fc.property(license, (valid) => {
        const stored = viaJson(valid);
        expect(schemaKeeps(stored)).toBe(true);
        expect(isCanonicalLicense(stored)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the schema on broken licenses: true exactly when the schema keeps the record as is', () => {
    const seen = { kept: 0, refused: 0, changed: 0 };
    fc.assert(
      fc.property(license, fc.array(mutation, { minLength: 1, maxLength: 3 }), (valid, mutations) => {
        const stored = viaJson(mutate(valid, mutations));
        const keeps = schemaKeeps(stored);
        expect(isCanonicalLicense(stored)).toBe(keeps);
        if (keeps) seen.kept++;
        else if (licenseSchema.safeParse(stored).success) seen.changed++;
        else seen.refused++;
      }),
      { numRuns: 10_000 },
    );
    // The mutations reach every outcome, including a record the schema accepts only trimmed (the
    // rarest: about 15 of 10,000 runs, 10 in some, so only its presence is asserted, not a share).
    expect(seen.kept).toBeGreaterThan(100);
    expect(seen.refused).toBeGreaterThan(1000);
    expect(seen.changed).toBeGreaterThan(0);
  });

  it('agrees with the schema on every field set to every edge value in turn', () => {
    const strings = boundLengths.flatMap((length) =>
      ['a', 'é', '\u{1f600}', '\ud800'].flatMap((char) => [
        char.repeat(length),
        char.repeat(length).slice(0, length),
      ]),
    );
    const padded = [...trimmed, ...kept].flatMap((pad) => [pad, `${pad}id`, `id${pad}`]);
    const timestamps = [
      '2025-01-01T00:00:00Z',
      '2025-01-01T00:00:00.1Z',
      '2025-01-01T00:00:00.123456789Z',
      '2025-01-01T00:00:00.1234567890Z',
      '2025-01-01T00:00:00.Z',
      '2025-01-01T00:00:00z',
      '2025-01-01 00:00:00Z',
      '2025-01-01T00:00:00+00:00',
      '2025-01-01T00:00:00Z\n',
      '+02025-01-01T00:00:00Z',
      '025-01-01T00:00:00Z',
      '2025-1-01T00:00:00Z',
      '２025-01-01T00:00:00Z',
    ];
    const others = [
      null,
      true,
      false,
      0,
      -0,
      1,
      -1,
      0.5,
      2 ** 53 - 1,
      2 ** 53,
      1e21,
      'active',
      'suspended',
      'revoked',
      'Active',
      [],
      {},
      [fixture.devices[0]],
      [null],
      [[]],
    ];
    const fields = [
      ...licenseFields.map((field) => [field, -1] as const),
      ...deviceFields.map((field) => [field, 0] as const),
      ['extra', -1] as const,
      ['extra', 0] as const,
    ];
    let checked = 0;
    for (const value of [...strings, ...padded, ...timestamps, ...others]) {
      for (const [field, inDevice] of fields) {
        const stored = viaJson(mutate(fixture, [{ kind: 'set', field, value, inDevice }]));
        expect(isCanonicalLicense(stored), `${field} = ${JSON.stringify(value)}`).toBe(schemaKeeps(stored));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(3000);
  });

  const withDevice = (change: Partial<Device>) => ({ devices: [{ ...fixture.devices[0]!, ...change }] });
  const examples: [string, Record<string, unknown>, boolean][] = [
    ['a key of 256 characters', { key: 'K'.repeat(256) }, true],
    ['a key of 257 characters', { key: 'K'.repeat(257) }, false],
    ['an empty key', { key: '' }, false],
    ['a key with a trailing space (the schema trims it)', { key: 'LK-1 ' }, false],
    ['an email of 257 characters', { email: 'e'.repeat(257) }, false],
    ['an email of 256 emoji (512 UTF-16 units)', { email: '\u{1f600}'.repeat(256) }, true],
    ['an email of 257 emoji', { email: '\u{1f600}'.repeat(257) }, false],
    ['an email of 257 lone surrogates', { email: '\ud800'.repeat(257) }, false],
    ['a customer name of 2,048 characters', { customerName: 'n'.repeat(2048) }, true],
    ['a customer name of 2,049 characters', { customerName: 'n'.repeat(2049) }, false],
    ['an unknown status', { status: 'expired' }, false],
    ['a negative seat count', { maxDevices: -1 }, false],
    ['a fractional validation count', { validationCount: 1.5 }, false],
    ['a count beyond 2^53 - 1', { validationCount: 2 ** 53 }, false],
    ['a timestamp with an offset', { createdAt: '2025-01-01T00:00:00+00:00' }, false],
    ['a timestamp with 10 fraction digits', { expiresAt: '2025-01-01T00:00:00.1234567890Z' }, false],
    ['a device without its name', { devices: [{ hardwareId: 'hw', activatedAt: fixture.createdAt }] }, false],
    ['a device with an extra field', withDevice({ extra: 1 } as Partial<Device>), false],
    ['a device with a blank hardware id', withDevice({ hardwareId: ' ' }), false],
    ['a license with an extra field', { extra: null }, false],
    ['a license missing a field', { deliveredAt: undefined }, false],
  ];
  it.each(examples)('%s', (_name, change, expected) => {
    const stored = viaJson({ ...fixture, ...change });
    expect(isCanonicalLicense(stored)).toBe(expected);
    expect(schemaKeeps(stored)).toBe(expected);
  });

  it('refuses an own "__proto__" key, as the strict schema does', () => {
    const stored = JSON.parse(JSON.stringify(fixture).replace('{', '{"__proto__":{},'));
    expect(isCanonicalLicense(stored)).toBe(false);
    expect(licenseSchema.safeParse(stored).success).toBe(false);
  });
});
