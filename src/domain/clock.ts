/** Where licensekit reads the time: a function returning the current instant. Inject one in tests. */
export type Clock = () => Date;

/** The real time. */
export const systemClock: Clock = () => new Date();

let stampedMs = Number.NaN;
let stamp = '';

/**
 * `date.toISOString()`, formatted once per millisecond: hot paths such as `validate` stamp many
 * records within one millisecond, and formatting costs more than the rest of a validation's
 * bookkeeping. Calls in the same millisecond get the same string. Throws like `toISOString` for an
 * invalid date.
 */
export function isoString(date: Date): string {
  const ms = date.getTime();
  if (ms !== stampedMs) {
    stamp = date.toISOString();
    stampedMs = ms;
  }
  return stamp;
}
