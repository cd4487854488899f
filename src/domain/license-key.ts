import { crockfordBase32 } from './_crockford.js';
import { LicenseKitError } from './errors.js';

/** Crockford base32: no I, L, O or U, so keys survive being read aloud and retyped. */
const ALPHABET = crockfordBase32;
const RANDOM_SYMBOLS = 29;
const KEY_SYMBOLS = RANDOM_SYMBOLS + 1;
const OUR_SHAPE = new RegExp(`^[${ALPHABET}]{${KEY_SYMBOLS}}$`);
const GROUP = 5;
const CANONICAL_LENGTH = KEY_SYMBOLS + KEY_SYMBOLS / GROUP - 1; // 6 groups of 5, 5 dashes
const SYMBOL_VALUES = new Int8Array(128).fill(-1);
for (let value = 0; value < ALPHABET.length; value++) SYMBOL_VALUES[ALPHABET.charCodeAt(value)] = value;
const LOOK_ALIKES: Readonly<Record<string, string>> = { O: '0', I: '1', L: '1' };
const PREFIX = /^[A-Z0-9]{1,16}$/;

/** How license keys look: `generate` makes new ones, `normalize` turns typed keys into lookup form. */
export interface LicenseKeyFormat {
  /** A new random key in canonical form: 145 random bits, 6 dashed groups of 5, after the prefix if any. */
  generate(): string;
  /**
   * The canonical form of a key as a customer typed it (case, dashes, spaces, O/I/L look-alikes and the
   * prefix are forgiven), or `null` when it has our shape but a wrong check symbol (MALFORMED_KEY: a typo).
   * Keys of any other shape (imported, custom) come back trimmed and upper-cased, as-is.
   */
  normalize(input: string): string | null;
}

/**
 * Check symbol. Symbols are elements of GF(32) = GF(2)[x]/(x^5 + x^2 + 1) and a valid key v_0..v_29
 * satisfies sum v_i * x^(29-i) = 0, evaluated by Horner's rule below. x generates the multiplicative
 * group (order 31), so x^i != x^j for distinct positions. Guarantees, for all 30 symbols including the
 * check symbol: every single-symbol substitution is caught (a change d != 0 adds d * x^k != 0), and so
 * is every transposition of two different symbols at any distance, adjacent or not (it adds
 * (a + b)(x^i + x^j) != 0). Any other random change passes with probability 1/32.
 */
function checkState(values: Iterable<number>): number {
  let state = 0;
  for (const value of values) state = TIMES_X[state]! ^ value;
  return state;
}

/**
 * `TIMES_X[s]` is `s * x` modulo x^5 + x^2 + 1, so one Horner step is `TIMES_X[state] ^ value`: a
 * lookup instead of a data-dependent branch, which the CPU mispredicts on random keys.
 */
const TIMES_X = Uint8Array.from({ length: 32 }, (_, state) => {
  const shifted = state << 1;
  return shifted & 32 ? shifted ^ 0b100101 : shifted;
});

/** 29 uniform 5-bit symbols from Web Crypto; 32 divides 256, so `byte & 31` has no modulo bias. */
function randomSymbols(): number[] {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(RANDOM_SYMBOLS));
  return Array.from(bytes, (byte) => byte & 31);
}

/**
 * Reads `text` from `start` as a canonical key (6 dashed groups of 5 upper-case symbols, to the end):
 * `true` when its check symbol is right, `false` for a typo, `null` when it has another shape. One
 * pass without regex or arrays: it runs on every validation.
 */
function readCanonical(text: string, start: number): boolean | null {
  const end = start + CANONICAL_LENGTH;
  if (text.length !== end) return null;
  let state = 0;
  for (let group = start; group < end; group += GROUP + 1) {
    if (group > start && text.charCodeAt(group - 1) !== 45) return null; // '-'
    for (let i = group; i < group + GROUP; i++) {
      const code = text.charCodeAt(i);
      const value = code < 128 ? SYMBOL_VALUES[code]! : -1;
      if (value < 0) return null;
      state = TIMES_X[state]! ^ value;
    }
  }
  return state === 0;
}

function toKey(values: readonly number[], prefix: string): string {
  const groups = values
    .map((value) => ALPHABET.charAt(value))
    .join('')
    .replace(/.{5}(?!$)/g, '$&-');
  return prefix === '' ? groups : `${prefix}-${groups}`;
}

/** The 30 bare symbols when `text` has our shape once dashes, spaces and look-alikes are fixed. */
function ourShape(text: string): string | null {
  const bare = text.replace(/[-\s]/g, '').replace(/[OIL]/g, (c) => LOOK_ALIKES[c]!);
  return OUR_SHAPE.test(bare) ? bare : null;
}

/**
 * A key format with an optional prefix (1–16 letters or digits, upper-cased: `iwc` gives `IWC-7K3QF-…`).
 * Throws `INVALID_INPUT` for any other prefix.
 */
export function createLicenseKeyFormat(options: { prefix?: string } = {}): LicenseKeyFormat {
  const { prefix: rawPrefix } = options;
  const prefix = typeof rawPrefix === 'string' ? rawPrefix.toUpperCase() : '';
  if (rawPrefix !== undefined && !PREFIX.test(prefix)) {
    throw new LicenseKitError('INVALID_INPUT', 'license key prefix must be 1-16 letters or digits');
  }
  const prefixDash = prefix === '' ? '' : `${prefix}-`;
  return Object.freeze({
    generate(): string {
      const values = randomSymbols();
      values.push(checkState([...values, 0]));
      return toKey(values, prefix);
    },
    normalize(input: string): string | null {
      // Fast path for a key typed exactly as issued (the validation hot path): no copy is made.
      const issued = input.startsWith(prefixDash) ? readCanonical(input, prefixDash.length) : null;
      if (issued !== null) return issued ? input : null;
      const text = input.trim().toUpperCase();
      const typed = text.startsWith(prefixDash) ? readCanonical(text, prefixDash.length) : null;
      if (typed !== null) return typed ? text : null;
      // The prefix (and its dash) is optional; a bare key that happens to start with it still counts.
      const bare =
        (prefix !== '' && text.startsWith(prefix) ? ourShape(text.slice(prefix.length)) : null) ??
        ourShape(text);
      if (bare === null) return text;
      const values = Array.from(bare, (symbol) => ALPHABET.indexOf(symbol));
      return checkState(values) === 0 ? toKey(values, prefix) : null;
    },
  });
}

/** The default format: no prefix, e.g. `7K3QF-…` (30 symbols in 6 groups of 5). */
export const defaultLicenseKeyFormat: LicenseKeyFormat = createLicenseKeyFormat();

/** A new random license key in the default format. */
export function generateLicenseKey(): string {
  return defaultLicenseKeyFormat.generate();
}

/** {@link LicenseKeyFormat.normalize} for the default format: canonical key, `null` for a typo, or as-is. */
export function normalizeLicenseKey(input: string): string | null {
  return defaultLicenseKeyFormat.normalize(input);
}
