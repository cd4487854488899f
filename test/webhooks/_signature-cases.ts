import fc from 'fast-check';
import { expect } from 'vitest';
import { WebhookVerificationError } from '../../src/domain/errors.js';

/** What `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

/**
 * A {@link rejection} that also expects a `WebhookVerificationError` whose message does not contain
 * `secret`, for the verifiers and providers keyed with it.
 */
export function verificationRejection(
  secret: string,
): (promise: Promise<unknown>) => Promise<WebhookVerificationError> {
  return async (promise) => {
    const error = await rejection(promise);
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect((error as Error).message).not.toContain(secret);
    return error as WebhookVerificationError;
  };
}

/**
 * Property over 300 runs: `verify` given any signature header from `headers` and any string or bytes
 * as payload resolves or rejects with a `WebhookVerificationError`; with `alwaysRejects`, always the
 * latter (for headers that can never match).
 */
export async function assertOnlyVerificationErrors(
  headers: fc.Arbitrary<string>,
  verify: (header: string, payload: string | Uint8Array) => Promise<void>,
  { alwaysRejects = false } = {},
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      headers,
      fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 })),
      async (header, payload) => {
        const error = await verify(header, payload).then(
          () => null,
          (caught: unknown) => caught,
        );
        if (error !== null || alwaysRejects) expect(error).toBeInstanceOf(WebhookVerificationError);
      },
    ),
    { numRuns: 300 },
  );
}
