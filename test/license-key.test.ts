import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { isLicenseKitError } from '../src/domain/errors.js';
import {
  createLicenseKeyFormat,
  defaultLicenseKeyFormat,
  generateLicenseKey,
  type LicenseKeyFormat,
  normalizeLicenseKey,
} from '../src/domain/license-key.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUPS = /^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){5}$/;
const prefixed = createLicenseKeyFormat({ prefix: 'iwc' });
const formats: [string, LicenseKeyFormat][] = [
  ['default', defaultLicenseKeyFormat],
  ['prefixed', prefixed],
];

/** The 30 bare symbols of a canonical key. */
const symbolsOf = (key: string): string => key.replace(/^IWC-/, '').replaceAll('-', '');
/** Rebuilds a canonical key in `format` from 30 bare symbols (which may be wrong). */
const keyFrom = (symbols: string, format: LicenseKeyFormat): string => {
  const groups = symbols.match(/.{5}/g)!.join('-');
  return format === prefixed ? `IWC-${groups}` : groups;
};

/** Completes 29 symbols with the check symbol; exactly one of the 32 candidates must normalise. */
const withCheck = (symbols: string, format: LicenseKeyFormat): string => {
  const valid = [...ALPHABET]
    .map((check) => keyFrom(symbols + check, format))
    .filter((key) => format.normalize(key) !== null);
  expect(valid).toHaveLength(1);
  return valid[0]!;
};
const symbolsArb = (length: number) =>
  fc.array(fc.constantFrom(...ALPHABET), { minLength: length, maxLength: length }).map((s) => s.join(''));
/** A valid key built from 29 fast-check symbols. */
const keyArb = (format: LicenseKeyFormat) => symbolsArb(29).map((symbols) => withCheck(symbols, format));

/** Lower-cases, strips or spaces dashes, and swaps 0 → O and 1 → I/L per `choices` (body only). */
function disguise(key: string, choices: number[], lower: boolean, separator: string): string {
  const [, head, body] = /^(IWC-)?(.*)$/.exec(key)!;
  let out = Array.from(body!, (c, i) => {
    const choice = choices[i]!;
    if (c === '0' && choice > 0) return 'O';
    if (c === '1' && choice > 0) return choice === 1 ? 'I' : 'L';
    return c;
  }).join('');
  out = (head ?? '') + out.replaceAll('-', separator);
  return lower ? out.toLowerCase() : out;
}

describe.each(formats)('license keys (%s format)', (_name, format) => {
  it('generates 30 alphabet symbols in 6 dashed groups of 5', () => {
    for (let i = 0; i < 1000; i++) {
      const key = format.generate();
      if (format === prefixed) expect(key.startsWith('IWC-')).toBe(true);
      expect(symbolsOf(key)).toHaveLength(30);
      expect(format === prefixed ? key.slice(4) : key).toMatch(GROUPS);
    }
  });

  it('normalises every generated key and its disguises back to the key', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          keyArb(format),
          fc.constant(null).map(() => format.generate()),
        ),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 40, maxLength: 40 }),
        fc.boolean(),
        fc.constantFrom('-', '', ' ', ' - '),
        (key, choices, lower, separator) => {
          expect(format.normalize(key)).toBe(key);
          expect(format.normalize(`  ${disguise(key, choices, lower, separator)}\t`)).toBe(key);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects every single-symbol substitution at every position (exhaustive, a few keys)', () => {
    for (let k = 0; k < 4; k++) {
      const key = format.generate();
      const symbols = symbolsOf(key);
      for (let pos = 0; pos < 30; pos++) {
        for (const replacement of ALPHABET) {
          if (replacement === symbols[pos]) continue;
          const typo = symbols.slice(0, pos) + replacement + symbols.slice(pos + 1);
          expect(format.normalize(keyFrom(typo, format))).toBeNull();
        }
      }
    }
  });

  it('rejects a single-symbol substitution in random keys', () => {
    fc.assert(
      fc.property(
        keyArb(format),
        fc.integer({ min: 0, max: 29 }),
        fc.integer({ min: 1, max: 31 }),
        (key, pos, shift) => {
          const symbols = symbolsOf(key);
          const replacement = ALPHABET[(ALPHABET.indexOf(symbols[pos]!) + shift) % 32]!;
          const typo = symbols.slice(0, pos) + replacement + symbols.slice(pos + 1);
          expect(format.normalize(keyFrom(typo, format).toLowerCase())).toBeNull();
        },
      ),
    );
  });

  it('rejects every transposition of two different symbols, adjacent or not', () => {
    fc.assert(
      fc.property(
        keyArb(format),
        fc.integer({ min: 0, max: 29 }),
        fc.integer({ min: 0, max: 29 }),
        (key, i, j) => {
          const symbols = [...symbolsOf(key)];
          fc.pre(symbols[i] !== symbols[j]);
          [symbols[i], symbols[j]] = [symbols[j]!, symbols[i]!];
          expect(format.normalize(keyFrom(symbols.join(''), format))).toBeNull();
        },
      ),
    );
  });
});

describe('license key generation', () => {
  it('makes 10,000 distinct keys with every symbol at every position', () => {
    const keys = Array.from({ length: 10_000 }, () => symbolsOf(generateLicenseKey()));
    expect(new Set(keys).size).toBe(keys.length);
    // A symbol is missing at a position with probability (31/32)^10000 < 1e-130: this cannot flake.
    for (let pos = 0; pos < 30; pos++) {
      expect(new Set(keys.map((key) => key[pos])).size).toBe(32);
    }
  });

  it('draws randomness only from crypto.getRandomValues, never Math.random', () => {
    const mathRandom = vi.spyOn(Math, 'random');
    const getRandomValues = vi.spyOn(globalThis.crypto, 'getRandomValues');
    try {
      generateLicenseKey();
      prefixed.generate();
      expect(mathRandom).not.toHaveBeenCalled();
      expect(getRandomValues).toHaveBeenCalledTimes(2);
    } finally {
      mathRandom.mockRestore();
      getRandomValues.mockRestore();
    }
  });
});

describe('license key normalisation of other shapes', () => {
  it('looks up other shapes as-is, only trimmed and upper-cased', () => {
    expect(normalizeLicenseKey('  legacy-key-abc ')).toBe('LEGACY-KEY-ABC');
    const hex = 'deadbeef0123456789abcdef01234567';
    expect(normalizeLicenseKey(hex)).toBe(hex.toUpperCase());
    // 30 characters, but U is not in the alphabet: not our shape, no look-alike mapping.
    expect(normalizeLicenseKey('uoilu-00000-00000-00000-00000-00000')).toBe(
      'UOILU-00000-00000-00000-00000-00000',
    );
    expect(prefixed.normalize(' other-thing ')).toBe('OTHER-THING');
  });

  it('returns an empty string for blank input', () => {
    expect(normalizeLicenseKey('')).toBe('');
    expect(normalizeLicenseKey(' \t\n ')).toBe('');
    expect(prefixed.normalize('   ')).toBe('');
  });

  it('keeps the prefix optional, and keeps prefixed keys foreign to the default format', () => {
    const key = prefixed.generate();
    const bare = key.slice(4);
    expect(prefixed.normalize(bare)).toBe(key);
    expect(prefixed.normalize(`iwc${bare.replaceAll('-', '')}`)).toBe(key);
    expect(normalizeLicenseKey(key.toLowerCase())).toBe(key);
    expect(normalizeLicenseKey(bare)).toBe(bare);
    expect(createLicenseKeyFormat({ prefix: 'ABC' }).normalize(key)).toBe(key);
  });

  it('accepts a bare key that starts with the prefix letters', () => {
    const format = createLicenseKeyFormat({ prefix: 'A' });
    fc.assert(
      fc.property(symbolsArb(28), (symbols) => {
        const bare = withCheck(`A${symbols}`, defaultLicenseKeyFormat);
        expect(format.normalize(bare)).toBe(`A-${bare}`);
        expect(format.normalize(`A-${bare}`)).toBe(`A-${bare}`);
      }),
    );
  });
});

describe('license key prefix', () => {
  it('upper-cases a valid prefix', () => {
    expect(createLicenseKeyFormat({ prefix: 'x9' }).generate()).toMatch(/^X9-/);
    expect(createLicenseKeyFormat({ prefix: 'A'.repeat(16) }).generate()).toMatch(/^A{16}-/);
  });

  it('throws INVALID_INPUT for a bad prefix', () => {
    const bad = ['', 'A'.repeat(17), 'IW C', 'IW-C', 'IWC-', 'ÄBC', '_', 42 as unknown as string];
    for (const prefix of bad) {
      let thrown: unknown;
      try {
        createLicenseKeyFormat({ prefix });
      } catch (error) {
        thrown = error;
      }
      expect(isLicenseKitError(thrown, 'INVALID_INPUT'), String(prefix)).toBe(true);
    }
  });
});
