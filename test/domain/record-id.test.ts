import { decodeTime, isValid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { newRecordId } from '../../src/domain/record-id.js';

describe('newRecordId', () => {
  it('is a ULID whose time part is the given time', () => {
    for (const time of [0, 1_700_000_000_123, 2 ** 48 - 1]) {
      const id = newRecordId(time);
      expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(isValid(id)).toBe(true);
      expect(decodeTime(id)).toBe(time);
    }
  });

  it('draws a fresh random part each time, every symbol alike', () => {
    const ids = Array.from({ length: 20_000 }, () => newRecordId(1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    // 320,000 random symbols: each of the 32 should come up about 10,000 times.
    const counts = new Map<string, number>();
    for (const id of ids)
      for (const symbol of id.slice(10)) counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
    expect(counts.size).toBe(32);
    for (const count of counts.values()) expect(Math.abs(count - 10_000)).toBeLessThan(600);
  });

  it('refuses a time ULIDs cannot hold', () => {
    for (const time of [-1, 2 ** 48, 1.5, Number.NaN]) expect(() => newRecordId(time)).toThrow();
  });
});
