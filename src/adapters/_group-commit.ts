/** The outcome of one operation inside a committed batch. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Pending<Op, R> {
  op: Op;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/**
 * Group commit: operations submitted while a batch is being written wait and are then committed
 * together in the next batch, so N concurrent writers cost one lock, one write and one fsync.
 * `commit` returns one outcome per operation, or throws to fail the whole batch.
 */
export class GroupCommit<Op, R> {
  readonly #commit: (ops: Op[]) => Promise<Outcome<R>[]>;
  #queue: Pending<Op, R>[] = [];
  #running: Promise<void> | null = null;

  constructor(commit: (ops: Op[]) => Promise<Outcome<R>[]>) {
    this.#commit = commit;
  }

  /** Queues `op` for the next batch; resolves once that batch is durable. */
  submit(op: Op): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      this.#running ??= this.#drain();
    });
  }

  /** Resolves when every operation submitted so far has been committed or failed. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    // Let the callers of this tick join the first batch.
    await Promise.resolve();
    while (this.#queue.length > 0) {
      const batch = this.#queue;
      this.#queue = [];
      try {
        const outcomes = await this.#commit(batch.map((pending) => pending.op));
        batch.forEach((pending, i) => {
          const outcome = outcomes[i]!;
          if (outcome.ok) pending.resolve(outcome.value);
          else pending.reject(outcome.error);
        });
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.#running = null;
  }
}
