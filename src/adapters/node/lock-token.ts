import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
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
  /** The owner's PID namespace (see {@link pidSpace}); absent in tokens that name none. */
  space?: string;
  id: string;
  /** When a takeover began (`Date.now()`), in the tokens of `<lock>.break` only. */
  at?: number;
}

const thisHost = hostname();

/**
 * This process's PID namespace: on Linux the inode of `/proc/self/ns/pid`, else ''. Processes in
 * two PID namespaces (containers sharing a volume, under one hostname) cannot see each other's
 * pids, nor tell their own leftovers from the other's locks by pid: each treats the other's tokens
 * and files as another host's, never stale.
 */
export const pidSpace = readPidSpace();

function readPidSpace(): string {
  try {
    return /\d+/.exec(readlinkSync('/proc/self/ns/pid'))?.[0] ?? '';
  } catch {
    return '';
  }
}
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
    space: pidSpace,
    id: randomBytes(8).toString('hex'),
  };
  if (at !== undefined) owner.at = at;
  return JSON.stringify(owner);
}

/**
 * A token is stale when its owner is a process on this host, in this PID namespace, that no longer
 * exists. One of another host or namespace is never stale: its pid means nothing here.
 */
export function isStale(content: string): boolean {
  const owner = parseOwner(content);
  if (owner === null) return true; // never written by a live owner: tokens are linked into place complete
  if (heldTokens.has(content) || !isOfThisSpace(owner.host, owner.space) || typeof owner.pid !== 'number') {
    return false;
  }
  // A token of this thread that no copy of licensekit here holds is left over (from a failed release
  // or an earlier process with the same pid).
  if (owner.pid === process.pid) return owner.thread === threadId;
  return !isAlive(owner.pid);
}

/** Whether an owner of `host` and PID namespace `space` (absent: not named) sees the pids this process sees. */
function isOfThisSpace(host: unknown, space: unknown): boolean {
  return host === thisHost && (space === undefined || space === pidSpace);
}

/** Who holds a lock, for a timeout's message: pid, host and, when it is another, PID namespace. */
export function describeOwner(content: string): string {
  const owner = parseOwner(content);
  if (owner === null) return 'an owner it does not name';
  const space = owner.space !== undefined && owner.space !== pidSpace ? `, PID namespace ${owner.space}` : '';
  return `pid ${String(owner.pid)} on ${String(owner.host)}${space}`;
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
 * A unique name beside the lock `lockPath` for a file of this process (`<lock>.<pid>.<id>.tmp`, with
 * `<pid>-<namespace>` where there is a PID namespace): a token being written, or a file moved aside.
 * `FileLock` sweeps those whose process is gone (see {@link isOrphanScratch}).
 */
export function scratchFile(lockPath: string): string {
  const owner = pidSpace === '' ? `${process.pid}` : `${process.pid}-${pidSpace}`;
  return `${lockPath}.${owner}.${randomBytes(8).toString('hex')}.tmp`;
}

/**
 * Whether `name`, after the lock's name and its dot, is a scratch file (or a takeover file of earlier
 * versions, `.stale`) of a process of this host and PID namespace that is gone. Another namespace's
 * files are left alone: their pids cannot be checked from here.
 */
export function isOrphanScratch(name: string): boolean {
  const match = /^(\d+)(?:-(\d+))?\.[0-9a-f]+\.(tmp|stale)$/.exec(name);
  return match !== null && isOfThisSpace(thisHost, match[2]) && !isAlive(Number(match[1]));
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
