import type { Clock } from '../domain/clock.js';
import { LicenseKitError } from '../domain/errors.js';

/** How far {@link FakeClock.advance} moves the clock. Units add up; negative values move it back. */
export interface FakeClockStep {
  /** Days of exactly 24 hours (the clock is UTC: no daylight-saving shifts). */
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  ms?: number;
}

/**
 * A {@link Clock} for tests that only moves when told to. Calling it (or `now()`) returns a new
 * `Date` each time, so mutating a returned date never moves the clock.
 */
export interface FakeClock extends Clock {
  /** The current fake time, as a new `Date`. Same as calling the clock. */
  now(): Date;
  /**
   * Moves the clock by `step` and returns the new time. Negative steps move it back (useful to
   * simulate a skewed clock); fractional values are allowed and the total is rounded to whole ms.
   */
  advance(step: FakeClockStep): Date;
  /** Jumps to `date` (a `Date` or an ISO-8601 string, see {@link fakeClock}) and returns it. */
  set(date: Date | string): Date;
}

const defaultStart = '2025-01-01T00:00:00.000Z';

const msPerUnit: Readonly<Record<keyof FakeClockStep, number>> = {
  days: 86_400_000,
  hours: 3_600_000,
  minutes: 60_000,
  seconds: 1_000,
  ms: 1,
};

/** The largest distance from the epoch a `Date` can hold. */
const maxTime = 8.64e15;

const isoPattern =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/i;

function invalid(message: string): LicenseKitError {
  return new LicenseKitError('INVALID_INPUT', `fakeClock: ${message}`);
}

/** True when the numbered fields of an ISO string are in range (`Date` silently rolls Feb 30 over). */
function fieldsInRange(match: RegExpExecArray): boolean {
  const [, year, month, day, hour = '0', minute = '0', second = '0', offsetHour = '0', offsetMinute = '0'] =
    match;
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(y, m, 0); // unlike Date.UTC, keeps the years 0-99 as they are
  const daysInMonth = lastDay.getUTCDate();
  return (
    m >= 1 &&
    m <= 12 &&
    d >= 1 &&
    d <= daysInMonth &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 59 &&
    Number(offsetHour) <= 23 &&
    Number(offsetMinute) <= 59
  );
}

/** Epoch milliseconds of `input`, or an `INVALID_INPUT` error. */
function toTime(input: unknown): number {
  if (input instanceof Date) {
    const time = input.getTime();
    if (Number.isNaN(time)) throw invalid('got an invalid Date');
    return time;
  }
  if (typeof input === 'string') {
    const match = isoPattern.exec(input.trim());
    const time = match === null ? Number.NaN : new Date(input.trim()).getTime();
    if (match === null || !fieldsInRange(match) || Number.isNaN(time)) {
      throw invalid(
        `expected an ISO-8601 date (YYYY-MM-DD, read as UTC) or date-time with Z or an offset, got ${JSON.stringify(input)}`,
      );
    }
    return time;
  }
  throw invalid(`expected a Date or an ISO-8601 string, got ${input === null ? 'null' : typeof input}`);
}

/**
 * A controllable {@link Clock} for tests, starting at `start` (default `2025-01-01T00:00:00.000Z`).
 * Strings must be ISO-8601: a date (`2025-01-01`, midnight UTC) or a date-time with `Z` or an
 * offset; strings without a zone are rejected because `Date` would read them in local time.
 * Invalid dates, unknown or non-finite `advance` units and times outside the `Date` range throw
 * `LicenseKitError('INVALID_INPUT')` and leave the clock where it was.
 */
export function fakeClock(start: Date | string = defaultStart): FakeClock {
  let current = toTime(start);
  const now = (): Date => new Date(current);
  return Object.assign(() => now(), {
    now,
    advance(step: FakeClockStep): Date {
      if (typeof step !== 'object' || step === null) throw invalid('advance expects an object of units');
      let delta = 0;
      for (const [unit, amount] of Object.entries(step)) {
        const factor = msPerUnit[unit as keyof FakeClockStep] as number | undefined;
        if (factor === undefined || !Object.hasOwn(msPerUnit, unit)) {
          throw invalid(
            `unknown advance unit ${JSON.stringify(unit)} (use days, hours, minutes, seconds, ms)`,
          );
        }
        if (amount === undefined) continue;
        if (typeof amount !== 'number' || !Number.isFinite(amount)) {
          throw invalid(`advance ${unit} must be a finite number, got ${String(amount)}`);
        }
        delta += amount * factor;
      }
      const next = Math.round(current + delta);
      if (!(Math.abs(next) <= maxTime)) throw invalid('advance would move the clock outside the Date range');
      current = next;
      return now();
    },
    set(date: Date | string): Date {
      current = toTime(date);
      return now();
    },
  });
}
