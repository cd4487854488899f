import { LicenseKitError } from './errors.js';

/** ISO 4217 currencies whose minor unit is not 1/100 of the major unit, by number of decimals. */
const exponents: ReadonlyMap<string, number> = new Map(
  (
    [
      [0, 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF'],
      [3, 'BHD IQD JOD KWD LYD OMR TND'],
      [4, 'CLF UYW'],
    ] as const
  ).flatMap(([exponent, codes]) => codes.split(' ').map((code): [string, number] => [code, exponent])),
);

const decimalPattern = /^(-?)(\d+)(?:\.(\d+))?$/;
const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * How many decimals the minor unit of `currency` has (ISO 4217): 2 unless listed otherwise, 0 for
 * JPY, KRW, VND and the other zero-decimal currencies, 3 for BHD, IQD, JOD, KWD, LYD, OMR and TND,
 * 4 for CLF and UYW. `currency` must be an upper-case three-letter code (`INVALID_INPUT` otherwise),
 * so a lower-case `jpy` can never be formatted with the wrong number of decimals.
 */
export function currencyExponent(currency: string): number {
  if (!/^[A-Z]{3}$/.test(currency)) {
    throw new LicenseKitError(
      'INVALID_INPUT',
      `expected an upper-case ISO 4217 currency code, got "${currency}"`,
    );
  }
  return exponents.get(currency) ?? 2;
}

/**
 * Formats integer minor units as a plain decimal string in the major unit: `2399` USD → `"23.99"`,
 * `1500` JPY → `"1500"`, `1250` KWD → `"1.250"`, `-5` EUR → `"-0.05"`. No grouping, no symbol.
 * `amount` must be a safe integer (`INVALID_INPUT` otherwise).
 */
export function formatMinorUnits(amount: number, currency: string): string {
  const exponent = currencyExponent(currency);
  if (!Number.isSafeInteger(amount)) {
    throw new LicenseKitError(
      'INVALID_INPUT',
      `an amount in minor units must be a safe integer, got ${amount}`,
    );
  }
  const digits = String(Math.abs(amount)).padStart(exponent + 1, '0');
  const sign = amount < 0 ? '-' : '';
  if (exponent === 0) return `${sign}${digits}`;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * Parses a decimal string in the major unit into integer minor units with exact string arithmetic
 * (never floats): `"23.99"` USD → `2399`, `"23.9"` → `2390`, `"1500"` JPY → `1500`, `"-0.05"` → `-5`.
 * Accepts an optional `-`, digits and an optional fraction. Extra decimals are accepted only when
 * they are zeros (`"10.000"` USD → `1000`), since no value is lost; anything else that does not fit the
 * currency (`"23.999"` USD, `"1.5"` JPY), junk, or a result beyond a safe integer is `INVALID_INPUT`.
 */
export function parseDecimalToMinorUnits(decimal: string, currency: string): number {
  const exponent = currencyExponent(currency);
  const match = decimalPattern.exec(decimal);
  if (match === null) {
    throw new LicenseKitError('INVALID_INPUT', `"${decimal}" is not a decimal amount`);
  }
  const [, sign, whole = '', fraction = ''] = match;
  if (fraction.length > exponent && /[^0]/.test(fraction.slice(exponent))) {
    throw new LicenseKitError(
      'INVALID_INPUT',
      `"${decimal}" has more than ${exponent} decimals, the minor unit of ${currency}`,
    );
  }
  const minor = BigInt(whole + fraction.slice(0, exponent).padEnd(exponent, '0'));
  if (minor > maxSafe) {
    throw new LicenseKitError('INVALID_INPUT', `"${decimal}" ${currency} is too large`);
  }
  const value = Number(minor);
  return sign === '-' && value !== 0 ? -value : value;
}
