import { isLicenseKitError, type LicenseKitErrorCode } from '../domain/errors.js';

/** A failed conformance check. Carries `actual` and `expected` so test runners can show a diff. */
export class ConformanceAssertionError extends Error {
  override name = 'AssertionError';
  readonly actual: unknown;
  readonly expected: unknown;

  constructor(message: string, actual?: unknown, expected?: unknown) {
    super(message);
    this.actual = actual;
    this.expected = expected;
  }
}

/** Fails with `message` and both values (as JSON) unless `actual` deep-equals `expected`. */
export function assertEqual(actual: unknown, expected: unknown, message: string): void {
  const difference = findDifference(actual, expected, '$');
  if (difference === null) return;
  throw new ConformanceAssertionError(
    `${message}\n  first difference at ${difference}\n  actual:   ${show(actual)}\n  expected: ${show(expected)}`,
    actual,
    expected,
  );
}

/** Fails with `message` unless `condition` is true. */
export function assertTrue(condition: boolean, message: string): asserts condition {
  if (condition !== true) throw new ConformanceAssertionError(message);
}

/**
 * Fails unless `action` rejects with a licensekit error (with `code`, when given); returns that error.
 * Pass a function to also catch a synchronous throw, which is reported as a contract violation.
 */
export async function assertRejects(
  action: PromiseLike<unknown> | (() => PromiseLike<unknown>),
  code: LicenseKitErrorCode | undefined,
  message: string,
): Promise<unknown> {
  const expected = code === undefined ? 'a licensekit error' : `a licensekit ${code} error`;
  let pending: PromiseLike<unknown>;
  try {
    pending = typeof action === 'function' ? action() : action;
  } catch (error) {
    throw new ConformanceAssertionError(
      `${message}: expected a promise rejecting with ${expected}, but the call threw synchronously: ${describeError(error)}`,
    );
  }
  let value: unknown;
  try {
    value = await pending;
  } catch (error) {
    if (isLicenseKitError(error, code)) return error;
    throw new ConformanceAssertionError(
      `${message}: expected a rejection with ${expected}, got ${describeError(error)}`,
    );
  }
  throw new ConformanceAssertionError(
    `${message}: expected a rejection with ${expected}, but it resolved to ${show(value)}`,
  );
}

/** The value `action` resolves to; a rejection (or synchronous throw) fails with `message` and the error. */
export async function assertResolves<T>(action: () => PromiseLike<T>, message: string): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new ConformanceAssertionError(
      `${message}: expected it to resolve, but it failed: ${describeError(error)}`,
    );
  }
}

/** The path of the first structural difference between `a` and `b`, or `null` when they are equal. */
function findDifference(a: unknown, b: unknown, path: string): string | null {
  if (Object.is(a, b)) return null;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return path;
  if (Array.isArray(a) !== Array.isArray(b)) return path;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}.length`;
    for (let i = 0; i < a.length; i++) {
      const inner = findDifference(a[i], b[i], `${path}[${i}]`);
      if (inner !== null) return inner;
    }
    return null;
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const leftKeys = Object.keys(left);
  const rightKeys = Object.keys(right);
  for (const key of rightKeys) if (!Object.hasOwn(left, key)) return `${path}.${key} (missing)`;
  for (const key of leftKeys) if (!Object.hasOwn(right, key)) return `${path}.${key} (unexpected)`;
  for (const key of rightKeys) {
    const inner = findDifference(left[key], right[key], `${path}.${key}`);
    if (inner !== null) return inner;
  }
  return null;
}

/** JSON of `value` that keeps `undefined` visible. */
function show(value: unknown): string {
  try {
    const json = JSON.stringify(value, (_key, inner: unknown) =>
      inner === undefined ? '<undefined>' : inner,
    );
    return json ?? String(value);
  } catch {
    return String(value);
  }
}

function describeError(error: unknown): string {
  if (isLicenseKitError(error)) return `licensekit ${error.code} error (${error.message})`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return show(error);
}
