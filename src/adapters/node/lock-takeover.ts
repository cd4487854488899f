import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode, type FileIO, unlinkQuietly } from './file-io.js';
import {
  heldTokens,
  isStale,
  newToken,
  readToken,
  scratchFile,
  startedAt,
  writeToken,
} from './lock-token.js';

/**
 * A `<lock>.break` older than this is abandoned even if its owner lives (its removal failed, e.g. on
 * EIO, and that process may run for months); takeovers take milliseconds. Clearing one early lets
 * two takers overlap, which the takeover tolerates (see {@link takeOverStale}).
 */
export const abandonedBreakMs = 30_000;

/** Tries at moving a file aside before giving up (a transient EIO should not leave it behind). */
const removalAttempts = 3;

/**
 * Removes the lock file `lockPath` if it still holds `observed`, the token of an owner that is gone.
 * Returns false when another live taker is at it (wait, then look again), true when the caller should
 * try to take the lock again at once.
 *
 * Protocol. A taker links its token (with the time it began) to `<lock>.break`; only the holder of
 * `.break` re-reads the lock and, if it still holds `observed`, removes it. A `.break` whose taker is
 * gone, or older than {@link abandonedBreakMs}, is cleared by whoever finds it. Invariants:
 *
 * 1. The lock and `.break` are created only by `link()` of a complete token file (never half written)
 *    and never replaced in place: a name changes hands only by a removal, then a creation.
 * 2. Nothing removes the lock or `.break` by name (a read-then-unlink could remove a file linked in
 *    between). Each is renamed to a scratch name of the remover's own and the moved file is read:
 *    only the exact token meant (a dead owner's, the remover's own, an abandoned `.break`'s) is
 *    unlinked; anything else is linked back, and if the name was taken meanwhile (EEXIST) the moved
 *    file is dropped. So a live token is never removed on purpose.
 * 3. A live lock can only be moved aside for the few syscalls between that rename and the link back,
 *    by a remover acting on an outdated read. A holder whose fence runs in that gap, or whose lock
 *    name is taken meanwhile, finds another token or none: it commits nothing (more).
 * 4. `.break` makes (3) rare: takers act one at a time, each re-reading the lock and `.break` right
 *    before its removal. Two overlap only when both cleared one abandoned `.break` at once, or a
 *    taker stalled past {@link abandonedBreakMs}.
 *
 * What remains, only in that overlap: a commit that passed its fence just before its lock was moved
 * aside may land while a newcomer holds the lock (fencing checks, then acts); and an owner that
 * releases while its lock is aside finds nothing to remove, so the link back restores a token of a
 * live process holding nothing: that thread takes it over on its next run, other processes once it
 * exits (they time out meanwhile). Likewise a `.break` put back after its taker finished holds up
 * other processes' takeovers until it is abandoned.
 */
export async function takeOverStale(io: FileIO, lockPath: string, observed: string): Promise<boolean> {
  const breaker = `${lockPath}.break`;
  const mine = newToken(Date.now());
  // Held (as lock tokens are) so another copy of licensekit in this thread never takes it for a leftover.
  heldTokens.add(mine);
  try {
    const temp = scratchFile(lockPath);
    try {
      await writeToken(io, temp, mine);
      await io.link(temp, breaker);
    } finally {
      await unlinkQuietly(io, temp);
    }
  } catch (error) {
    heldTokens.delete(mine);
    if (errnoCode(error) !== 'EEXIST') throw error;
    const other = await readToken(io, breaker);
    if (other === null || !isAbandoned(other)) return false;
    await removeIfHolds(io, lockPath, breaker, other);
    return true;
  }
  try {
    // Both re-read right before the removal, to keep invariant 3 rare: its safety rests on (2).
    if ((await readToken(io, lockPath)) !== observed) return true;
    if ((await readToken(io, breaker)) !== mine) return false;
    await removeIfHolds(io, lockPath, lockPath, observed);
    return true;
  } finally {
    try {
      await removeIfHolds(io, lockPath, breaker, mine);
    } finally {
      heldTokens.delete(mine);
    }
  }
}

/**
 * Removes `path` (the lock `lockPath` or its `.break`) if it holds exactly `token`: it is renamed to a
 * scratch name of this process, read, and unlinked only if it holds `token`, else linked back (see
 * invariant 2 of {@link takeOverStale}). Nothing there is fine. A failed rename is tried again: a
 * `.break` left by a live process holds up other processes' takeovers for {@link abandonedBreakMs}.
 */
export async function removeIfHolds(
  io: FileIO,
  lockPath: string,
  path: string,
  token: string,
): Promise<void> {
  const aside = scratchFile(lockPath);
  for (let attempt = 1; ; attempt++) {
    try {
      await io.rename(path, aside);
      break;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      if (attempt === removalAttempts) throw error;
      await sleep(10 * attempt);
    }
  }
  let moved: string | null = null;
  try {
    moved = await readToken(io, aside);
  } finally {
    // Not read, or not `token`: put back. If that fails (the name was taken meanwhile), the moved
    // file's owner finds another token or none at its next check and backs off.
    if (moved !== token) await io.link(aside, path).catch(() => undefined);
    await unlinkQuietly(io, aside);
  }
}

/** A `<lock>.break` is abandoned when its owner is gone or it is older than {@link abandonedBreakMs}. */
function isAbandoned(content: string): boolean {
  if (isStale(content)) return true;
  const at = startedAt(content);
  return at !== undefined && Math.abs(Date.now() - at) > abandonedBreakMs;
}
