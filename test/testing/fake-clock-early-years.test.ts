import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../src/testing.js';

describe('fakeClock date checks', () => {
  it('accepts 0000-02-29 (year 0 is a leap year, and Date reads it exactly)', () => {
    // Date.UTC would map the years 0–99 to 1900–1999, and 1900 is not a leap year.
    expect(new Date('0000-02-29T00:00:00Z').toISOString()).toBe('0000-02-29T00:00:00.000Z');
    expect(fakeClock('0000-02-29T00:00:00Z')().toISOString()).toBe('0000-02-29T00:00:00.000Z');
  });
});
