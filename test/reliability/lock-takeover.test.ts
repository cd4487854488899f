import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type FileIO, nodeFileIO } from '../../src/adapters/node/file-io.js';
import { FileLock } from '../../src/adapters/node/file-lock.js';
import { abandonedBreakMs, removeIfHolds } from '../../src/adapters/node/lock-takeover.js';
import { isOrphanScratch, pidSpace } from '../../src/adapters/node/lock-token.js';
import { spawnChild } from '../helpers/child.js';
import { TempDirs } from '../helpers/temp-dir.js';

// L2: taking over a lock whose owner died, when several takers see it at once.

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

/** The lock token of a process that has exited. */
function deadToken(): string {
  const pid = spawnSync(process.execPath, ['-e', '0']).pid!;
  return JSON.stringify({ pid, thread: 0, host: hostname(), id: 'deadbeefdeadbeef' });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The token of a takeover file (`<lock>.break`) of the live process `pid`, begun `ageMs` ago. */
function breakToken(pid: number, ageMs: number): string {
  const id = randomBytes(8).toString('hex');
  return JSON.stringify({ pid, thread: 0, host: hostname(), id, at: Date.now() - ageMs });
}

/** How another process fares taking the lock at `lockPath` within `timeoutMs`: OK or the error code. */
async function takeInChild(lockPath: string, timeoutMs: number): Promise<string> {
  // The child's script sits beside this test, not in test/fixtures/children.
  const child = spawnChild('lock-take.ts', [lockPath, String(timeoutMs)]);
  const line = await child.waitForLine(() => true);
  await child.closed;
  return line;
}

/** `nodeFileIO` that runs `strike` just before the first call removing `<lock>.break` (unlink or rename). */
function beforeBreakRemoval(strike: (breaker: string) => Promise<void>): FileIO {
  let struck = false;
  const removing = async (path: string) => {
    if (struck || !path.endsWith('.break')) return;
    struck = true;
    await strike(path);
  };
  return {
    ...nodeFileIO,
    unlink: async (path) => {
      await removing(path);
      return nodeFileIO.unlink(path);
    },
    rename: async (from, to) => {
      await removing(from);
      return nodeFileIO.rename(from, to);
    },
  };
}

describe('a lock of a process in another PID namespace (a container sharing the volume)', () => {
  const otherSpace = (token: string) => JSON.stringify({ ...JSON.parse(token), space: '1' });

  it.skipIf(pidSpace === '')('is never taken for a dead one: its pid means nothing here', async () => {
    const dir = await dirs.make('lock-other-space');
    const lockPath = join(dir, '.lock');
    const foreign = otherSpace(deadToken());
    await writeFile(lockPath, foreign);
    const outcome = await FileLock.for(lockPath, { timeoutMs: 300 })
      .run(async () => 'held')
      .catch((error: { code?: string; message: string }) => [error.code, error.message]);
    const { pid } = JSON.parse(foreign) as { pid: number };
    expect({ outcome, left: await readFile(lockPath, 'utf8') }).toEqual({
      // The message names the holder, so whoever removes the lock by hand knows whose it is.
      outcome: [
        'STORAGE_LOCK_TIMEOUT',
        expect.stringContaining(`(held by pid ${pid} on ${hostname()}, PID namespace 1)`),
      ],
      left: foreign,
    });
    // Of this namespace (or naming none, as tokens of earlier versions), the same dead owner's lock is taken over.
    await writeFile(lockPath, deadToken());
    expect(await FileLock.for(lockPath, { timeoutMs: 2000 }).run(async () => 'held')).toBe('held');
  });

  it.skipIf(pidSpace === '')(
    "leaves its scratch files alone, and sweeps a dead process's of this namespace",
    () => {
      const dead = JSON.parse(deadToken()).pid as number;
      expect(isOrphanScratch(`${dead}-1.0123456789abcdef.tmp`)).toBe(false);
      expect(isOrphanScratch(`${dead}-${pidSpace}.0123456789abcdef.tmp`)).toBe(true);
      expect(isOrphanScratch(`${dead}.0123456789abcdef.tmp`)).toBe(true);
      expect(isOrphanScratch(`${process.pid}-${pidSpace}.0123456789abcdef.tmp`)).toBe(false);
    },
  );
});

describe('a stale lock seen by two takers', () => {
  // Before: both renamed the stale file aside; one then took the other's fresh lock for the stale one,
  // moved it aside and linked it back after its owner had released it, leaving a lock that named a
  // live process holding nothing: every taker waited until it timed out.
  it('one takes it over while the other waits, and no lock is left behind', async () => {
    const dir = await dirs.make('lock-takeover');
    const lockPath = join(dir, '.lock');
    await writeFile(lockPath, deadToken());
    // The child's script sits beside this test, not in test/fixtures/children.
    const p = spawnChild('lock-cycle.ts', [lockPath]);
    try {
      await p.waitForLine((line) => line === 'READY');
      const heldByP = () => p.lines.includes('HELD') && !p.lines.includes('RELEASED');
      let heldDuringTakeover: boolean | null = null;
      let measured: () => void = () => undefined;
      const takeoverSeen = new Promise<void>((resolve) => {
        measured = resolve;
      });
      // The moment this taker removes the stale lock, the child starts taking it too.
      const removing = async (path: string, remove: () => Promise<void>) => {
        if (heldDuringTakeover === null && path === lockPath) {
          p.send('hold');
          await sleep(500);
          heldDuringTakeover = heldByP();
          measured();
        }
        await remove();
      };
      const io: FileIO = {
        ...nodeFileIO,
        rename: (from, to) => removing(from, () => nodeFileIO.rename(from, to)),
        unlink: (path) => removing(path, () => nodeFileIO.unlink(path)),
      };
      const q = FileLock.for(lockPath, { io, timeoutMs: 5000 });
      const outcome = q.run(async () => (heldByP() ? 'both held it' : 'held alone')).catch((e) => e.code);
      await takeoverSeen;
      await p.waitForLine((line) => line === 'HELD');
      p.send('release');
      await p.waitForLine((line) => line === 'RELEASED');
      const result = await outcome;
      expect({
        heldDuringTakeover,
        outcome: result,
        left: await readFile(lockPath, 'utf8').catch(() => null),
        files: await readdir(dir),
      }).toEqual({ heldDuringTakeover: false, outcome: 'held alone', left: null, files: [] });
    } finally {
      await p.kill();
    }
  });

  it('a takeover file left by a taker that died does not hold up the next', async () => {
    const dir = await dirs.make('lock-break-dead');
    const lockPath = join(dir, '.lock');
    await writeFile(lockPath, deadToken());
    await writeFile(`${lockPath}.break`, deadToken());
    const started = performance.now();
    expect(await FileLock.for(lockPath, { timeoutMs: 5000 }).run(async () => 'held')).toBe('held');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('a takeover file (<lock>.break) left behind by a live process', () => {
  // Before: the taker unlinked it once, in a finally; when that failed, every other process's
  // takeover of a stale lock waited for the taker's process to exit.
  it('is removed again when removing it failed once, so other processes still take over stale locks', async () => {
    const dir = await dirs.make('break-eio');
    const lockPath = join(dir, '.lock');
    await writeFile(lockPath, deadToken());
    const io = beforeBreakRemoval(() =>
      Promise.reject(Object.assign(new Error('EIO injected'), { code: 'EIO' })),
    );
    const outcome = await FileLock.for(lockPath, { io, timeoutMs: 2000 })
      .run(async () => 'held')
      .catch((error) => error.code);
    const left = await readdir(dir);
    await writeFile(lockPath, deadToken()); // another owner dies holding the lock
    expect({ outcome, left, otherProcess: await takeInChild(lockPath, 1500) }).toEqual({
      outcome: 'held',
      left: [],
      otherProcess: 'OK',
    });
  });

  it(`holds up other processes' takeovers while fresh, and no longer once older than abandonedBreakMs`, async () => {
    const dir = await dirs.make('break-old');
    const lockPath = join(dir, '.lock');
    await writeFile(lockPath, deadToken());
    // This test's process is alive: for the child, only its age can make the file abandoned.
    await writeFile(`${lockPath}.break`, breakToken(process.pid, 0));
    const fresh = await takeInChild(lockPath, 500);
    await writeFile(`${lockPath}.break`, breakToken(process.pid, abandonedBreakMs + 5000));
    const old = await takeInChild(lockPath, 1500);
    expect({ fresh, old, left: await readdir(dir) }).toEqual({
      fresh: 'STORAGE_LOCK_TIMEOUT',
      old: 'OK',
      left: [],
    });
  });
});

describe('removing a takeover file never removes one another taker linked meanwhile', () => {
  // Another taker (the parent process: alive, and not this one) replaces `.break` right before this
  // taker's removal: before, a read-then-unlink removed the other taker's file.
  const replaceBy = (token: string) => async (breaker: string) => {
    await rm(breaker, { force: true });
    await writeFile(breaker, token);
  };

  it('when clearing one whose taker died', async () => {
    const dir = await dirs.make('break-clear');
    const lockPath = join(dir, '.lock');
    const stale = deadToken();
    await writeFile(lockPath, stale);
    await writeFile(`${lockPath}.break`, deadToken());
    const other = breakToken(process.ppid, 0);
    const io = beforeBreakRemoval(replaceBy(other));
    const outcome = await FileLock.for(lockPath, { io, timeoutMs: 500 })
      .run(async () => 'held')
      .catch((error) => error.code);
    expect({
      outcome,
      lock: await readFile(lockPath, 'utf8'),
      breaker: await readFile(`${lockPath}.break`, 'utf8'),
      files: await readdir(dir),
    }).toEqual({
      outcome: 'STORAGE_LOCK_TIMEOUT',
      lock: stale,
      breaker: other,
      files: ['.lock', '.lock.break'],
    });
  });

  it('when removing its own after a takeover', async () => {
    const dir = await dirs.make('break-own');
    const lockPath = join(dir, '.lock');
    await writeFile(lockPath, deadToken());
    const other = breakToken(process.ppid, 0);
    const io = beforeBreakRemoval(replaceBy(other));
    const outcome = await FileLock.for(lockPath, { io, timeoutMs: 2000 }).run(async () => 'held');
    expect({
      outcome,
      breaker: await readFile(`${lockPath}.break`, 'utf8'),
      files: await readdir(dir),
    }).toEqual({ outcome: 'held', breaker: other, files: ['.lock.break'] });
  });
});

/** A pause point: `hit` resolves when the code reaches it, which then waits until `open()`. */
function gate() {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const hit = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const wait = () => {
    reached();
    return opened;
  };
  return { open, hit, wait };
}

/** Another loaded copy of licensekit's lock (its own in-process queues), standing in for a process. */
async function lockCopy(name: string): Promise<typeof FileLock> {
  const specifier = `../../src/adapters/node/file-lock.js?copy=${name}`;
  return ((await import(/* @vite-ignore */ specifier)) as { FileLock: typeof FileLock }).FileLock;
}

describe('three takers racing around an abandoned takeover file', () => {
  // Before: A, clearing an abandoned `.break`, moved C's live `.break` aside for a moment; D took
  // `.break` in that gap, broke the stale lock and acquired; then C, which had already checked that
  // `.break` was its own, unlinked the lock by name: D's live lock. C acquired too: two holders.
  it('never lets two of them hold the lock: a lock is only removed once it proves to be the dead one', async () => {
    const dir = await dirs.make('break-race');
    const lockPath = join(dir, '.lock');
    const breaker = `${lockPath}.break`;
    await writeFile(lockPath, deadToken());
    await writeFile(breaker, deadToken()); // a takeover file whose taker died

    const aMovesBreak = gate();
    const aLinksBack = gate();
    const cRemovesLock = gate();
    const dHolds = gate();
    let aMoved = false;
    let aLinked = false;
    let cRemoved = false;
    const ioA: FileIO = {
      ...nodeFileIO,
      rename: async (from, to) => {
        if (from === breaker && !aMoved) {
          aMoved = true;
          await aMovesBreak.wait();
        }
        return nodeFileIO.rename(from, to);
      },
      link: async (existing, newPath) => {
        if (newPath === breaker && aMoved && !aLinked) {
          aLinked = true;
          await aLinksBack.wait();
        }
        return nodeFileIO.link(existing, newPath);
      },
    };
    // C's removal of the stale lock, by name (before) or by moving it aside (now).
    const cRemoval = async (path: string) => {
      if (path === lockPath && !cRemoved) {
        cRemoved = true;
        await cRemovesLock.wait();
      }
    };
    const ioC: FileIO = {
      ...nodeFileIO,
      unlink: async (path) => {
        await cRemoval(path);
        return nodeFileIO.unlink(path);
      },
      rename: async (from, to) => {
        await cRemoval(from);
        return nodeFileIO.rename(from, to);
      },
    };
    const A = (await lockCopy('a')).for(lockPath, { io: ioA, timeoutMs: 5000 });
    const C = (await lockCopy('c')).for(lockPath, { io: ioC, timeoutMs: 5000 });
    const D = (await lockCopy('d')).for(lockPath, { timeoutMs: 5000 });

    let inside = 0;
    let most = 0;
    const fences: string[] = [];
    const critical = (who: string) => async (fence: () => Promise<void>) => {
      most = Math.max(most, ++inside);
      if (who === 'D') await dHolds.wait();
      fences.push(
        await fence().then(
          () => `${who} ok`,
          (error: Error) => `${who}: ${error.message}`,
        ),
      );
      inside--;
    };
    const a = A.run(critical('A'));
    await aMovesBreak.hit; // A found the abandoned `.break`, and is about to move it aside
    const c = C.run(critical('C'));
    await cRemovesLock.hit; // C cleared it, took `.break`, checked both files: about to remove the lock
    aMovesBreak.open(); // A moves C's live `.break` aside...
    await aLinksBack.hit; // ...and has read it: about to link it back
    const d = D.run(critical('D'));
    await dHolds.hit; // D took `.break` in that gap, broke the stale lock, and holds the lock
    cRemovesLock.open(); // C removes what it takes for the stale lock
    await sleep(200);
    aLinksBack.open();
    await sleep(200);
    dHolds.open();
    await Promise.all([a, c, d]);
    expect({ most, fences: fences.sort() }).toEqual({ most: 1, fences: ['A ok', 'C ok', 'D ok'] });
  });
});

describe('removing a lock that turns out not to hold the dead token', () => {
  const live = () => breakToken(process.ppid, 0);

  it('puts it back', async () => {
    const dir = await dirs.make('remove-live');
    const lockPath = join(dir, '.lock');
    const token = live();
    await writeFile(lockPath, token);
    await removeIfHolds(nodeFileIO, lockPath, lockPath, deadToken());
    expect({ lock: await readFile(lockPath, 'utf8'), files: await readdir(dir) }).toEqual({
      lock: token,
      files: ['.lock'],
    });
  });

  it('leaves a lock taken while it was aside, and drops the moved one', async () => {
    const dir = await dirs.make('remove-taken');
    const lockPath = join(dir, '.lock');
    await writeFile(lockPath, live());
    const newcomer = live();
    const io: FileIO = {
      ...nodeFileIO,
      readFile: async (path) => {
        if (path !== lockPath) await writeFile(lockPath, newcomer, { flag: 'wx' }); // taken meanwhile
        return nodeFileIO.readFile(path);
      },
    };
    await removeIfHolds(io, lockPath, lockPath, deadToken());
    expect({ lock: await readFile(lockPath, 'utf8'), files: await readdir(dir) }).toEqual({
      lock: newcomer,
      files: ['.lock'],
    });
  });
});
