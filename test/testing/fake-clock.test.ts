import { describe, expect, it } from 'vitest';
import { type Clock, isLicenseKitError } from '../../src/index.js';
import { fakeClock } from '../../src/testing.js';

function expectInvalid(action: () => unknown): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(isLicenseKitError(caught, 'INVALID_INPUT')).toBe(true);
}

describe('fakeClock', () => {
  it('starts at 2025-01-01T00:00:00.000Z by default and is a Clock', () => {
    const clock: Clock = fakeClock();
    expect(clock().toISOString()).toBe('2025-01-01T00:00:00.000Z');
  });

  it('starts at a given Date or ISO string', () => {
    expect(fakeClock(new Date('2030-06-15T12:00:00Z'))().toISOString()).toBe('2030-06-15T12:00:00.000Z');
    expect(fakeClock('2024-02-29T10:20:30.456Z').now().toISOString()).toBe('2024-02-29T10:20:30.456Z');
    expect(fakeClock('2024-02-29')().toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(fakeClock('2024-02-29T10:00:00+02:00')().toISOString()).toBe('2024-02-29T08:00:00.000Z');
  });

  it('does not move by itself', async () => {
    const clock = fakeClock();
    const before = clock().getTime();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(clock().getTime()).toBe(before);
  });

  it.each([
    [{ days: 2 }, '2025-01-03T00:00:00.000Z'],
    [{ hours: 5 }, '2025-01-01T05:00:00.000Z'],
    [{ minutes: 90 }, '2025-01-01T01:30:00.000Z'],
    [{ seconds: 61 }, '2025-01-01T00:01:01.000Z'],
    [{ ms: 1234 }, '2025-01-01T00:00:01.234Z'],
    [{ days: 1, hours: 1, minutes: 1, seconds: 1, ms: 1 }, '2025-01-02T01:01:01.001Z'],
    [{ days: -1 }, '2024-12-31T00:00:00.000Z'],
    [{ days: 0.5 }, '2025-01-01T12:00:00.000Z'],
    [{}, '2025-01-01T00:00:00.000Z'],
  ])('advance(%o) → %s', (step, expected) => {
    const clock = fakeClock();
    expect(clock.advance(step).toISOString()).toBe(expected);
    expect(clock().toISOString()).toBe(expected);
  });

  it('accumulates advances', () => {
    const clock = fakeClock();
    clock.advance({ days: 30 });
    clock.advance({ days: 30 });
    expect(clock().toISOString()).toBe('2025-03-02T00:00:00.000Z');
  });

  it('set() jumps to a Date or string and returns it', () => {
    const clock = fakeClock();
    expect(clock.set('2026-07-04T00:00:00.000Z').toISOString()).toBe('2026-07-04T00:00:00.000Z');
    expect(clock().toISOString()).toBe('2026-07-04T00:00:00.000Z');
    clock.set(new Date('2020-01-01T00:00:00Z'));
    expect(clock.now().toISOString()).toBe('2020-01-01T00:00:00.000Z');
  });

  it('returns a new Date each call; mutating one does not move the clock', () => {
    const start = new Date('2025-05-05T00:00:00Z');
    const clock = fakeClock(start);
    const first = clock();
    const second = clock();
    expect(first).not.toBe(second);
    first.setUTCFullYear(1999);
    clock.now().setUTCFullYear(1998);
    clock.advance({ days: 1 }).setUTCFullYear(1997);
    start.setUTCFullYear(1996);
    expect(clock().toISOString()).toBe('2025-05-06T00:00:00.000Z');
  });

  it.each([
    'not a date',
    '',
    '2025-13-01',
    '2025-02-30',
    '2025-01-01T25:00:00Z',
    '2025-01-01T00:00:00',
    'Jan 1 2025',
    '2025/01/01',
  ])('rejects the start %j with INVALID_INPUT', (input) => {
    expectInvalid(() => fakeClock(input));
    expectInvalid(() => fakeClock().set(input));
  });

  it('rejects an invalid Date and non-date values with INVALID_INPUT', () => {
    expectInvalid(() => fakeClock(new Date(Number.NaN)));
    expectInvalid(() => fakeClock().set(new Date('nope')));
    expectInvalid(() => fakeClock(42 as unknown as string));
    expectInvalid(() => fakeClock().set(null as unknown as string));
  });

  it('rejects bad advance steps with INVALID_INPUT and stays put', () => {
    const clock = fakeClock();
    expectInvalid(() => clock.advance({ days: Number.NaN }));
    expectInvalid(() => clock.advance({ hours: Number.POSITIVE_INFINITY }));
    expectInvalid(() => clock.advance({ day: 1 } as unknown as { days: number }));
    expectInvalid(() => clock.advance({ days: '1' } as unknown as { days: number }));
    expectInvalid(() => clock.advance({ days: 1e12 }));
    expect(clock().toISOString()).toBe('2025-01-01T00:00:00.000Z');
  });
});
