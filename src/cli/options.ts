import { UsageError } from './command.js';

const dayMs = 86_400_000;
const datePattern = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
const relativePattern = /^(\d+)d$/;
const instantPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;

/** Which end of a date an option means: `--since 2025-12` starts the month, `--until 2025-12` ends it. */
export type DateEdge = 'start' | 'end';

/**
 * Parses a `--since`/`--until` value into an ISO-8601 UTC timestamp: `2025`, `2025-12`, `2025-12-03`
 * (UTC; the start of that year, month or day for `start`, its last millisecond for `end`), a full
 * timestamp (with `Z` or an offset; without one it is UTC), or `30d` (that many days before `now`).
 */
export function parseDateOption(name: string, value: string, edge: DateEdge, now = new Date()): string {
  const relative = relativePattern.exec(value);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * dayMs).toISOString();
  const date = datePattern.exec(value);
  if (date) {
    const [, year, month, day] = date;
    const start = Date.UTC(Number(year), Number(month ?? 1) - 1, Number(day ?? 1));
    const check = new Date(start);
    const valid =
      check.getUTCFullYear() === Number(year) &&
      check.getUTCMonth() === Number(month ?? 1) - 1 &&
      check.getUTCDate() === Number(day ?? 1);
    if (valid) {
      if (edge === 'start') return check.toISOString();
      const next =
        day !== undefined
          ? start + dayMs
          : month !== undefined
            ? Date.UTC(Number(year), Number(month), 1)
            : Date.UTC(Number(year) + 1, 0, 1);
      return new Date(next - 1).toISOString();
    }
  }
  const time = parseInstant(value);
  if (Number.isNaN(time)) {
    throw new UsageError(
      `--${name} "${value}" is not a date: use 2025-12-03, 2025-12, 2025, an ISO timestamp or 30d`,
    );
  }
  return new Date(time).toISOString();
}

/** An ISO timestamp as epoch ms, zone-less ones as UTC (not local time, as `Date.parse` would); else NaN. */
function parseInstant(value: string): number {
  const instant = instantPattern.exec(value);
  if (instant === null) return Number.NaN;
  return Date.parse(instant[1] === undefined ? `${value}Z` : value);
}

/** The `--since`/`--until` pair as ISO timestamps; refuses a window that ends before it starts. */
export function parseWindow(values: { since?: string; until?: string }): { since?: string; until?: string } {
  const since = values.since === undefined ? undefined : parseDateOption('since', values.since, 'start');
  const until = values.until === undefined ? undefined : parseDateOption('until', values.until, 'end');
  if (since !== undefined && until !== undefined && since > until) {
    throw new UsageError(`--since ${values.since} is after --until ${values.until}`);
  }
  return { ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }) };
}

/** A whole number ≥ `min` (default 1), or a usage error naming the option. */
export function parseWholeNumber(name: string, value: string, min = 1): number {
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min) {
    throw new UsageError(`--${name} must be a whole number of at least ${min}, got "${value}"`);
  }
  return number;
}

/** One of `choices`, or a usage error listing them. */
export function parseChoice<const C extends string>(name: string, value: string, choices: readonly C[]): C {
  if ((choices as readonly string[]).includes(value)) return value as C;
  throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${value}"`);
}

/** Requires an option, naming it and how to pass it. */
export function required<T>(command: string, name: string, value: T | undefined, hint: string): T {
  if (value === undefined || value === '') throw new UsageError(`${command}: ${name} is required (${hint})`);
  return value;
}
