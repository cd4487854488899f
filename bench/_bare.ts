import { createHmac, timingSafeEqual } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/**
 * The bare-machine bounds: the least work the machine must do for a scenario, with no library
 * around it. Nothing here validates, locks, or survives a second process.
 */

/** `JSON.parse(readFileSync())` of a whole file. */
export function bareParseJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** One pass over a JSON Lines file: read in 1 MiB chunks, split lines, `JSON.parse` each. Returns the line count. */
export function bareParseLines(path: string, each?: (value: unknown) => void): number {
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(1 << 20);
  let carry = '';
  let parsed = 0;
  try {
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
      const lines = (carry + buffer.toString('utf8', 0, read)).split('\n');
      carry = lines.pop()!;
      for (const line of lines) {
        const value: unknown = JSON.parse(line);
        each?.(value);
        parsed++;
      }
    }
  } finally {
    closeSync(fd);
  }
  return parsed;
}

/**
 * Appends text to a file durably, group-committed: callers of the same tick, and those arriving while
 * a batch is written, share one `write()` and one fsync. Nothing else: no lock, no checks, no index.
 */
export class GroupAppend {
  readonly #handle: FileHandle;
  #queue: { text: string; done(): void; fail(error: unknown): void }[] = [];
  #running: Promise<void> | null = null;

  private constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  static async open(path: string): Promise<GroupAppend> {
    return new GroupAppend(await open(path, 'a', 0o600));
  }

  /** Resolves once `text` is written and fsync'd. */
  append(text: string): Promise<void> {
    return new Promise((done, fail) => {
      this.#queue.push({ text, done, fail });
      this.#running ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    await Promise.resolve();
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        await this.#handle.write(batch.map((entry) => entry.text).join(''));
        await this.#handle.sync();
        for (const entry of batch) entry.done();
      } catch (error) {
        for (const entry of batch) entry.fail(error);
      }
    }
    this.#running = null;
  }

  close(): Promise<void> {
    return this.#handle.close();
  }
}

/** Checks a `Stripe-Signature` header over `body` with node:crypto, synchronously (no timestamp window). */
export function bareVerifyStripe(body: string, header: string, secret: string): boolean {
  const t = /(?:^|,)t=(\d+)/.exec(header)?.[1];
  const v1 = /(?:^|,)v1=([0-9a-f]{64})/.exec(header)?.[1];
  if (t === undefined || v1 === undefined) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
