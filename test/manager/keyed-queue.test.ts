import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../../src/manager/_keyed-queue.js';

/** A task that records its start and end around a wait of one macrotask. */
function task(log: string[], name: string, fail = false) {
  return async () => {
    log.push(`start ${name}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
    log.push(`end ${name}`);
    if (fail) throw new Error(name);
    return name;
  };
}

describe('KeyedQueue', () => {
  it('runs the tasks of one key one after the other, in order, past a failure', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const results = await Promise.allSettled([
      queue.run('a', task(log, 'a1')),
      queue.run('a', task(log, 'a2', true)),
      queue.run('a', task(log, 'a3')),
    ]);
    expect(log).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3']);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('runs tasks of different keys side by side', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    await Promise.all([queue.run('a', task(log, 'a')), queue.run('b', task(log, 'b'))]);
    expect(log.slice(0, 2)).toEqual(['start a', 'start b']);
  });
});
