import { NormalizationError } from '../domain/errors.js';

/** How a provider reads its store's JSON webhook body. */
export interface VerifiedJsonBody {
  /** The store as messages name it, e.g. `Stripe`. */
  store: string;
  /** What the body should be, e.g. `a JSON Event object`, the issue when it is not JSON. */
  expected: string;
  /** Checks the raw bytes (rejecting with `WebhookVerificationError`) before anything is parsed. */
  verify: (body: Uint8Array) => Promise<void>;
}

/**
 * Reads `request`'s raw body once, verifies those exact bytes, then parses them as JSON. A body that
 * is not JSON (invalid UTF-8 included) is a `NormalizationError` listing `expected` as the issue.
 */
export async function readVerifiedJson(request: Request, body: VerifiedJsonBody): Promise<unknown> {
  const bytes = new Uint8Array(await request.arrayBuffer());
  await body.verify(bytes);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new NormalizationError('NORMALIZATION_FAILED', `the ${body.store} webhook body is not JSON`, {
      issues: [{ path: '', message: `expected ${body.expected}` }],
    });
  }
}
