/** Reading the server's settings from environment variables, each refused at startup when wrong. */

/** `env[name]` as a whole number of at least `min`, or `fallback` when unset or empty. */
export function wholeNumber(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min = 0,
): number {
  const text = env[name];
  const value = text === undefined || text.trim() === '' ? fallback : Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be a whole number of at least ${min}`);
  return value;
}

/**
 * Express's `trust proxy` from `TRUST_PROXY`: off when unset or empty, `true`/`false`, a number of
 * hops, or the addresses and subnets Express takes (`loopback`, `10.0.0.0/8, 127.0.0.1`, …).
 */
export function trustProxyFrom(value: string | undefined): boolean | number | string {
  const text = value?.trim() ?? '';
  if (text === '' || text === 'false') return false;
  if (text === 'true') return true;
  return /^\d+$/.test(text) ? Number(text) : text;
}
