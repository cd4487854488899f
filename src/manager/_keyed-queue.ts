/**
 * Runs async tasks one at a time per key, in the order they were queued; tasks of other keys run
 * freely, and a failed task does not stop the next one of its key. Holds nothing for a key once its
 * last task has settled.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` after every task queued before it under `key`; resolves or rejects with its outcome. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.#tails.get(key) ?? Promise.resolve()).then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
