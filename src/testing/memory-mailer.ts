import { LicenseKitError } from '../domain/errors.js';
import type { Mailer, MailMessage } from '../mail/mailer.js';

/** Options for {@link memoryMailer}. */
export interface MemoryMailerOptions {
  /** Make sends fail: always (`true`), never (`false`, the default), or when the predicate says so. */
  fail?: boolean | ((message: MailMessage) => boolean);
}

/** A {@link Mailer} for tests that keeps every message in memory instead of sending it. */
export interface MemoryMailer extends Mailer {
  /** Copies of the messages sent successfully, in send order. */
  readonly sent: readonly MailMessage[];
  /** Copies of the messages whose send was made to fail, in send order. */
  readonly failed: readonly MailMessage[];
  /** Makes the next `count` sends (default 1) fail, on top of any already pending. */
  failNext(count?: number): void;
  /** Empties `sent` and `failed` (in place) and cancels pending {@link MemoryMailer.failNext} failures. */
  clear(): void;
}

/**
 * An in-memory {@link Mailer} for tests. A successful send records a copy of the message in `sent`.
 * A send made to fail (by the `fail` option or {@link MemoryMailer.failNext}) records the copy in
 * `failed` instead and rejects with `Error('memoryMailer: send failed')`.
 */
export function memoryMailer(options: MemoryMailerOptions = {}): MemoryMailer {
  const sent: MailMessage[] = [];
  const failed: MailMessage[] = [];
  const fail = options.fail ?? false;
  let pendingFailures = 0;

  return {
    sent,
    failed,
    async send(message: MailMessage): Promise<void> {
      const copy: MailMessage = { ...message };
      let shouldFail = typeof fail === 'function' ? fail(copy) : fail;
      if (pendingFailures > 0) {
        pendingFailures -= 1;
        shouldFail = true;
      }
      if (shouldFail) {
        failed.push(copy);
        throw new Error('memoryMailer: send failed');
      }
      sent.push(copy);
    },
    failNext(count = 1): void {
      if (!Number.isSafeInteger(count) || count < 0) {
        throw new LicenseKitError(
          'INVALID_INPUT',
          `memoryMailer.failNext: count must be a non-negative integer, got ${String(count)}`,
        );
      }
      pendingFailures += count;
    },
    clear(): void {
      sent.length = 0;
      failed.length = 0;
      pendingFailures = 0;
    },
  };
}
