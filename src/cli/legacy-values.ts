/**
 * Reading single values of the legacy Python files, which were written by `json.dump` and then
 * sometimes edited by hand. Each reader returns `null` for "missing" (absent, `null`, empty) and
 * `undefined`-free results, so the mapping in `legacy-import.ts` can decide per field.
 */

/** A legacy JSON object (one license value, or one purchase line). */
export type LegacyObject = Readonly<Record<string, unknown>>;

/** `value` as a plain object, or `null`. */
export function asObject(value: unknown): LegacyObject | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as LegacyObject)
    : null;
}

/** True when a field is absent, `null` or a blank string. */
export function isMissing(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** A trimmed, non-empty string; a number becomes its decimal text (hand-edited ids); else `null`. */
export function text(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * A boolean: JSON `true`/`false`, `1`/`0`, or the strings `true`/`false`/`yes`/`no`/`1`/`0` in any
 * case (Python's `str(True)` is `True`); anything else is `null`.
 */
export function flag(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value !== 'string') return null;
  const word = value.trim().toLowerCase();
  if (['true', 'yes', '1'].includes(word)) return true;
  if (['false', 'no', '0'].includes(word)) return false;
  return null;
}

/** A whole number ≥ 0 (or its decimal text); anything else is `null`. */
export function count(value: unknown): number | null {
  const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : null;
}

// Python's datetime.isoformat() and str(datetime): date, then optional `T`/space time with up to
// microseconds, then an optional zone (`Z`, `+01:00`, `+0100`).
const pythonDate =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * A legacy timestamp as an ISO-8601 UTC string ending in `Z`, or `null` when it is not one.
 * Zone-less values (the usual case: the server wrote local time without a zone) are taken as UTC;
 * an explicit zone is honoured. Microseconds are cut to milliseconds. A date alone is midnight UTC.
 * Impossible dates (`2025-02-30`) are `null`, not rolled over.
 */
export function legacyDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = pythonDate.exec(value.trim());
  if (match === null) return null;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone] = match;
  const millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
  const local = Date.UTC(+year!, +month! - 1, +day!, +hour, +minute, +second, millis);
  const check = new Date(local);
  const exact =
    check.getUTCFullYear() === +year! &&
    check.getUTCMonth() === +month! - 1 &&
    check.getUTCDate() === +day! &&
    check.getUTCHours() === +hour &&
    check.getUTCMinutes() === +minute &&
    check.getUTCSeconds() === +second;
  if (!exact) return null;
  return new Date(local - offsetMinutes(zone) * 60_000).toISOString();
}

/** Minutes east of UTC of `Z`, `+01:00` or `-0530`; 0 when there is no zone. */
function offsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const digits = zone.replace(':', '');
  const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
  return digits.startsWith('-') ? -minutes : minutes;
}

/** `value` shown in a message: short, quoted, one line. */
export function shown(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}
