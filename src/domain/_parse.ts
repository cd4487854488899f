import type { z } from 'zod';
import { LicenseKitError, type ValidationIssue } from './errors.js';

/** Parses `input` with `schema`, or throws an INVALID_INPUT error listing every issue. */
export function parseWith<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new LicenseKitError('INVALID_INPUT', `invalid ${what}`, { issues: toIssues(result.error) });
}

/** Flattens a zod error into plain `{ path, message }` issues (zod types stay internal). */
export function toIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}
