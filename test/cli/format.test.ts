/** The CLI's pure pieces: the bar chart, tables, periods, date options and legacy values. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.js';
import { barChart } from '../../src/cli/format/bar-chart.js';
import { table } from '../../src/cli/format/table.js';
import { visible } from '../../src/cli/format/visible.js';
import { mapLegacyPurchase } from '../../src/cli/legacy-purchase.js';
import { flag, legacyDate } from '../../src/cli/legacy-values.js';
import { parseDateOption } from '../../src/cli/options.js';
import { nextPeriod, periodLabel, periodStart } from '../../src/cli/periods.js';

describe('barChart', () => {
  const bars = [
    { label: '2025-10', value: 3000, text: '30.00 USD' },
    { label: '2025-11', value: 0, text: '0.00 USD' },
    { label: '2025-12', value: -1500, text: '-15.00 USD' },
    { label: '2026-01', value: 1, text: '0.01 USD' },
  ];

  it('fills exactly the width: label, bar, right-aligned value', () => {
    for (const width of [40, 80, 200]) {
      const lines = barChart(bars, width);
      expect(lines.map((line) => line.length)).toEqual([width, width, width, width]);
    }
  });

  it('draws positive bars solid, negative ones shaded, zero as nothing, tiny ones as a sliver', () => {
    const [top, none, negative, tiny] = barChart(bars, 41); // 20 columns of bar
    expect(top).toBe(`2025-10  ${'█'.repeat(20)}   30.00 USD`);
    expect(none).toBe(`2025-11  ${' '.repeat(20)}    0.00 USD`);
    expect(negative).toBe(`2025-12  ${'░'.repeat(10)}${' '.repeat(10)}  -15.00 USD`);
    expect(tiny).toBe(`2026-01  ▏${' '.repeat(19)}    0.01 USD`);
    expect(
      barChart(
        [
          { label: 'x', value: 1, text: '1' },
          { label: 'y', value: 0.55, text: '2' },
        ],
        16,
      )[1],
    ).toBe(
      'y  █████▌      2', // 5.5 of 10 columns: eighths give the half
    );
  });

  it('keeps a readable bar on a narrow terminal, and draws nothing when all are zero', () => {
    expect(barChart(bars, 10)[0]).toBe(`2025-10  ${'█'.repeat(10)}   30.00 USD`);
    expect(barChart([{ label: 'a', value: 0, text: '0' }], 20)).toEqual([`a  ${' '.repeat(14)}  0`]);
  });
});

it('table pads columns, aligns numbers right and trims trailing space', () => {
  expect(
    table(
      [{ header: 'Name' }, { header: 'Amount', align: 'right' }],
      [
        ['a', '1.00'],
        ['bbbbbb', '10.00'],
      ],
    ),
  ).toEqual(['Name    Amount', '──────  ──────', 'a         1.00', 'bbbbbb   10.00']);
});

describe('visible', () => {
  it('shows every C0 and C1 control character and DEL as \\xHH, and leaves the rest alone', () => {
    expect(visible('Mallory\u001b]0;owned\u0007\u001b[2J')).toBe('Mallory\\x1b]0;owned\\x07\\x1b[2J');
    expect(visible('a\nb\tc\r\u0000\u007f\u0080\u009b')).toBe('a\\x0ab\\x09c\\x0d\\x00\\x7f\\x80\\x9b');
    expect(visible('Zoë 東京 \\x1b ─ █ \u00a0')).toBe('Zoë 東京 \\x1b ─ █ \u00a0');
    expect(visible(visible('\u001b'))).toBe('\\x1b');
  });

  it('is applied to table cells before they are measured, so columns stay aligned', () => {
    expect(
      table(
        [{ header: 'Name' }, { header: 'N' }],
        [
          ['\u001b[2J', '1'],
          ['abcdefghi', '2'],
        ],
      ),
    ).toEqual(['Name       N', '─────────  ─', '\\x1b[2J    1', 'abcdefghi  2']);
  });
});

describe('periods (UTC)', () => {
  const at = (iso: string) => Date.parse(iso);

  it('weeks start on Monday, months on the 1st, days at midnight', () => {
    expect(periodLabel(periodStart(at('2025-11-30T23:59:59Z'), 'week'), 'week')).toBe('2025-11-24');
    expect(periodLabel(periodStart(at('2025-12-01T00:00:00Z'), 'week'), 'week')).toBe('2025-12-01');
    expect(periodLabel(periodStart(at('2025-12-31T23:00:00Z'), 'month'), 'month')).toBe('2025-12');
    expect(periodLabel(periodStart(at('2025-12-31T23:00:00Z'), 'day'), 'day')).toBe('2025-12-31');
    expect(new Date(nextPeriod(at('2025-12-01T00:00:00Z'), 'month')).toISOString()).toBe(
      '2026-01-01T00:00:00.000Z',
    );
  });
});

describe('parseDateOption', () => {
  const now = new Date('2025-12-31T12:00:00.000Z');

  it('reads years, months, days and zone-less timestamps as UTC, from their start or to their last millisecond', () => {
    expect(parseDateOption('since', '2025', 'start')).toBe('2025-01-01T00:00:00.000Z');
    expect(parseDateOption('until', '2025', 'end')).toBe('2025-12-31T23:59:59.999Z');
    expect(parseDateOption('until', '2024-02', 'end')).toBe('2024-02-29T23:59:59.999Z');
    expect(parseDateOption('until', '2025-12-03', 'end')).toBe('2025-12-03T23:59:59.999Z');
    expect(parseDateOption('since', '2025-12-03T10:00:00+02:00', 'start')).toBe('2025-12-03T08:00:00.000Z');
    expect(parseDateOption('since', '2025-12-03T10:00:00', 'start')).toBe('2025-12-03T10:00:00.000Z');
    expect(parseDateOption('until', '2025-12-03T10:00', 'end')).toBe('2025-12-03T10:00:00.000Z');
    expect(parseDateOption('since', '30d', 'start', now)).toBe('2025-12-01T12:00:00.000Z');
  });

  it('refuses anything else as a usage error that shows the accepted forms', () => {
    for (const bad of ['2025-02-30', 'yesterday', '2025-12-03T10', '2025-12-03T25:00', '12/03/2025']) {
      expect(() => parseDateOption('since', bad, 'start')).toThrow(UsageError);
    }
    expect(() => parseDateOption('since', 'x', 'start')).toThrow(
      /use 2025-12-03, 2025-12, 2025, an ISO timestamp or 30d/,
    );
  });
});

describe('legacy values', () => {
  it('reads Python isoformat dates: zone-less as UTC, zones honoured, microseconds cut', () => {
    expect(legacyDate('2025-12-03T14:05:09.123456')).toBe('2025-12-03T14:05:09.123Z');
    expect(legacyDate('2025-12-03 14:05:09')).toBe('2025-12-03T14:05:09.000Z');
    expect(legacyDate('2025-12-03T14:05:09+05:30')).toBe('2025-12-03T08:35:09.000Z');
    expect(legacyDate('2025-12-03T14:05:09-0100')).toBe('2025-12-03T15:05:09.000Z');
    expect(legacyDate('2025-12-03')).toBe('2025-12-03T00:00:00.000Z');
    for (const bad of ['2025-02-30T00:00:00', '2025-12-03T25:00:00', 'soon', 20251203, null]) {
      expect(legacyDate(bad)).toBeNull();
    }
  });

  it('reads booleans as json.dump and hands write them', () => {
    expect([true, 'True', 'yes', 1, '1'].map(flag)).toEqual([true, true, true, true, true]);
    expect([false, 'False', 'no', 0].map(flag)).toEqual([false, false, false, false]);
    expect(['maybe', 2, null].map(flag)).toEqual([null, null, null]);
  });

  it('turns decimal prices into minor units of their currency, and skips what the currency cannot hold', () => {
    const options = { productId: 'app', now: '2026-01-01T00:00:00.000Z' };
    const line = { license_key: 'K', sale_id: 'S', purchase_date: '2025-12-03T10:00:00' };
    const amount = (price: unknown, currency: string) => {
      const mapped = mapLegacyPurchase({ ...line, price, currency }, undefined, options);
      return mapped.ok ? mapped.value.events[0]?.purchase.amount : mapped.reason;
    };
    expect(amount('29.99', 'usd')).toBe(2999);
    expect(amount('29.9', 'eur')).toBe(2990);
    expect(amount('4800', 'jpy')).toBe(4800);
    expect(amount('1.250', 'kwd')).toBe(1250);
    expect(amount(19.9, 'usd')).toBe(1990);
    expect(amount('1.5', 'jpy')).toMatch(/^price "1\.5" JPY: "1\.5" has more than 0 decimals/);
    expect(amount('29.99', 'dollars')).toMatch(/^price "29\.99" DOLLARS: expected an upper-case ISO 4217/);
    expect(amount('-5.00', 'usd')).toBe('price "-5.00" is negative');
    expect(amount('', 'usd')).toBe('no price');
  });
});
