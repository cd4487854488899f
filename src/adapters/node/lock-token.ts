import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { threadId } from 'node:worker_threads';
import { StorageError } from '../../domain/errors.js';
import { errnoCode, type FileIO } from './file-io.js';

/**
 * The token in a lock file (`<lock>`) or a takeover file (`<lock>.break`): who holds it. Tokens are
 * unique, written to a file of their own and linked into place complete, and compared as whole
 * strings: a file that holds exactly a token is that owner's.
 */
interface Owner {
  pid: number;
  thread: number;
  host: string;
  id: string;
  /** When a takeover began (`Date.now()`), in the tokens of `<lock>.break` only. */
  at?: number;
}

const thisHost = hostname();
const heldLocksKey = Symbol.for('licensekit.heldLocks');

/**
 * The tokens of the locks (and takeover files) this thread holds, shared through `globalThis` by every
 * copy of licensekit loaded in it: a file naming this pid and thread is stale only if no copy holds it.
 */
export const heldTokens = sharedHeldTokens();

function sharedHeldTokens(): Set<string> {
  const shared = globalThis as { [heldLocksKey]?: Set<string> };
  shared[heldLocksKey] ??= new Set<string>();
  return shared[heldLocksKey];
}

/** A new token naming this thread, unique; `at` only for `<lock>.break`. */
export function newToken(at?: number): string {
  const owner: Owner = {
    pid: process.pid,
    thread: threadId,
    host: thisHost,
    id: randomBytes(8).toString('hex'),
  };
  if (at !== undefined) owner.at = at;
  return JSON.stringify(owner);
}

/** A token is stale when its owner is a process on this host that no longer exists. */
export function isStale(content: string): boolean {
  const owner = parseOwner(content);
  if (owner === null) return true; // never written by a live owner: tokens are linked into place complete
  if (heldTokens.has(content) || owner.host !== thisHost || typeof owner.pid !== 'number') return false;
  // A token of this thread that no copy of licensekit here holds is left over (from a failed release
  // or an earlier process with the same pid).
  if (owner.pid === process.pid) return owner.thread === threadId;
  return !isAlive(owner.pid);
}

/** When the takeover of a `<lock>.break` token began, if it says (and parses). */
export function startedAt(content: string): number | undefined {
  const at = parseOwner(content)?.at;
  return typeof at === 'number' ? at : undefined;
}

function parseOwner(content: string): Partial<Owner> | null {
  try {
    const owner = JSON.parse(content) as unknown;
    return typeof owner === 'object' && owner !== null ? (owner as Partial<Owner>) : null;
  } catch {
    return null;
  }
}

/** Whether a process with this pid exists on this host (one we may not signal still exists). */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) !== 'ESRCH';
  }
}

/**
 * A unique name beside the lock `lockPath` for a file of this process (`<lock>.<pid>.<id>.tmp`): a
 * token being written, or a file moved aside. `FileLock` sweeps those whose process is gone.
 */
export function scratchFile(lockPath: string): string {
  return `${lockPath}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`;
}

/** Creates `path` (which must not exist) holding `token`. */
export async function writeToken(io: FileIO, path: string, token: string): Promise<void> {
  const fd = await io.open(path, 'wx', 0o600);
  try {
    const bytes = new TextEncoder().encode(token);
    const written = await io.write(fd, bytes, 0, bytes.length, 0);
    if (written !== bytes.length) throw new StorageError('STORAGE_IO', `could not write the lock ${path}`);
  } finally {
    await io.close(fd);
  }
}

/** The token in `path`, or null when there is no such file. */
export async function readToken(io: FileIO, path: string): Promise<string | null> {
  try {
    return (await io.readFile(path)).toString('utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
}
