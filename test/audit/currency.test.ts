import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  currencyExponent,
  formatMinorUnits,
  isLicenseKitError,
  parseDecimalToMinorUnits,
} from '../../src/index.js';

function invalid(run: () => unknown): boolean {
  try {
    run();
  } catch (error) {
    return isLicenseKitError(error, 'INVALID_INPUT');
  }
  return false;
}

describe('currencyExponent', () => {
  it('gives ISO 4217 minor-unit digits: 2 by default, 0 and 3 for the listed currencies', () => {
    for (const code of ['USD', 'EUR', 'GBP', 'CHF', 'AAA']) expect(currencyExponent(code)).toBe(2);
    const zero = 'JPY KRW VND CLP ISK UGX XAF XOF XPF KMF GNF PYG RWF VUV BIF DJF'.split(' ');
    for (const code of zero) expect(currencyExponent(code), code).toBe(0);
    for (const code of 'BHD IQD JOD KWD LYD OMR TND'.split(' ')) expect(currencyExponent(code), code).toBe(3);
    expect(currencyExponent('CLF')).toBe(4);
  });

  it('refuses codes that are not three upper-case letters, so `jpy` never gets 2 decimals', () => {
    for (const code of ['jpy', 'JP', 'JPYY', '', ' JPY', 'U$D'])
      expect(
        invalid(() => currencyExponent(code)),
        code,
      ).toBe(true);
  });
});

describe('formatMinorUnits', () => {
  it.each([
    [2399, 'USD', '23.99'],
    [5, 'USD', '0.05'],
    [0, 'EUR', '0.00'],
    [-5, 'EUR', '-0.05'],
    [-2399, 'USD', '-23.99'],
    [1500, 'JPY', '1500'],
    [-1500, 'JPY', '-1500'],
    [1250, 'KWD', '1.250'],
    [7, 'KWD', '0.007'],
    [10000, 'CLF', '1.0000'],
  ])('%i %s → %s', (amount, currency, text) => {
    expect(formatMinorUnits(amount, currency)).toBe(text);
  });

  it('refuses fractions, NaN and unsafe integers', () => {
    for (const amount of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(
        invalid(() => formatMinorUnits(amount, 'USD')),
        String(amount),
      ).toBe(true);
    }
  });
});

describe('parseDecimalToMinorUnits', () => {
  it.each([
    ['23.99', 'USD', 2399],
    ['23.9', 'USD', 2390],
    ['23', 'USD', 2300],
    ['0.05', 'USD', 5],
    ['-0.05', 'USD', -5],
    ['-0', 'USD', 0],
    ['007.10', 'EUR', 710],
    ['10.000', 'USD', 1000],
    ['1500', 'JPY', 1500],
    ['1500.0', 'JPY', 1500],
    ['1.25', 'KWD', 1250],
    ['0.001', 'KWD', 1],
    ['90071992547409.91', 'USD', Number.MAX_SAFE_INTEGER],
  ])('%s %s → %i', (text, currency, amount) => {
    expect(Object.is(parseDecimalToMinorUnits(text, currency), amount)).toBe(true);
  });

  it.each([
    ['23.999', 'USD'],
    ['1.5', 'JPY'],
    ['1.0001', 'KWD'],
    ['', 'USD'],
    ['abc', 'USD'],
    ['1,50', 'EUR'],
    ['1.2.3', 'USD'],
    ['.5', 'USD'],
    ['5.', 'USD'],
    ['+5', 'USD'],
    [' 5', 'USD'],
    ['5 ', 'USD'],
    ['1e3', 'USD'],
    ['--5', 'USD'],
    ['0x10', 'USD'],
    ['Infinity', 'USD'],
    ['90071992547409.92', 'USD'],
    ['5', 'usd'],
  ])('refuses %j %s', (text, currency) => {
    expect(invalid(() => parseDecimalToMinorUnits(text, currency))).toBe(true);
  });

  it('round-trips with formatMinorUnits for any safe integer and every exponent', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.constantFrom('USD', 'JPY', 'KWD', 'CLF'), (amount, currency) => {
        const text = formatMinorUnits(amount, currency);
        expect(text).toMatch(/^-?\d+(\.\d+)?$/);
        expect(parseDecimalToMinorUnits(text, currency)).toBe(amount);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with exact decimal arithmetic on generated strings', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.stringMatching(/^\d{1,12}$/),
        fc.stringMatching(/^\d{0,3}$/),
        fc.constantFrom('USD', 'JPY', 'KWD'),
        (negative, whole, fraction, currency) => {
          const text = `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
          const exponent = currencyExponent(currency);
          const fits = fraction.slice(exponent).replaceAll('0', '') === '';
          if (!fits) {
            expect(invalid(() => parseDecimalToMinorUnits(text, currency))).toBe(true);
            return;
          }
          const expected = BigInt(whole + fraction.slice(0, exponent).padEnd(exponent, '0'));
          const amount = parseDecimalToMinorUnits(text, currency);
          expect(BigInt(Math.abs(amount))).toBe(expected);
          expect(amount < 0).toBe(negative && expected !== 0n);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
