import { afterAll, describe, it } from 'vitest';
import { crashRound, createCrashLoop } from '../helpers/crash-round.js';
import type { Layout } from '../helpers/storage.js';
import { TempDirs } from '../helpers/temp-dir.js';

// A1 / J4: a child inserts a license and appends its purchase record in a loop, printing `ACK <key>`
// only after both resolved; the parent SIGKILLs it after a random 5–150 ms (from crypto.randomInt)
// and, after EVERY round, checks the files and a fresh storage (see test/helpers/crash-round.ts).
// 200 rounds in all; the dir is reused, so data accumulates. `scripts/crash-loop.ts` runs the same
// rounds for as long as you like.

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

const rounds: Record<Layout, number> = { fileStorage: 120, jsonl: 80 };

describe.concurrent('kill -9 during writes', () => {
  for (const layout of ['fileStorage', 'jsonl'] as const) {
    it(`${layout}: every ACKed write survives ${rounds[layout]} SIGKILLs`, async ({ expect }) => {
      const loop = createCrashLoop(layout, await dirs.make(`kill9-${layout}`));
      for (let i = 0; i < rounds[layout]; i++) {
        const result = await crashRound(loop);
        expect(result.problems, `round ${result.round} (killed after ${result.delayMs} ms)`).toEqual([]);
      }
      const { totals } = loop;
      expect(totals.rounds).toBe(rounds[layout]);
      expect(totals.missing).toBe(0);
      expect(totals.duplicates).toBe(0);
      // The loop did real work between kills: most rounds acknowledged writes before dying.
      expect(totals.childAcks).toBeGreaterThan(rounds[layout]);
      console.info(
        `kill -9 ${layout}: ${totals.rounds} rounds, ${totals.childAcks} ACKed by children, ` +
          `${totals.unackedPresent} present but never ACKed, torn tails seen ${totals.tornTailsSeen}, ` +
          `repaired ${totals.tornTailsRepaired}`,
      );
    }, 240_000);
  }
});
