import { readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { StorageError } from '../../domain/errors.js';
import { errnoCode, type FileIO, fsyncDirectory } from './file-io.js';

/** Symlinks followed by hand before a path counts as a loop: Linux's MAXSYMLINKS. */
const maxSymlinkHops = 40;

/**
 * The path of a store file, resolved through symlinks once, when the store is first used: the real
 * path of the file if it exists, else (a symlink to a file not created yet is followed first) the
 * real path of its directory, created if missing, joined with its name. Every file operation of the
 * store and its default lock use that path, so a store opened through a symlink to the file or to
 * its directory is one store with its target, and an atomic replace renames over the target, never
 * over the link. A chain of more than 40 links fails with `STORAGE_IO` (cause `ELOOP`), as the
 * kernel's does, even one `realpath` cannot see as a loop (`x -> nodir/../x`: ENOENT, since `nodir`
 * is missing, yet the link leads back to itself).
 */
export class StorePath {
  /** The path as the caller gave it, for messages. */
  readonly given: string;
  readonly #absolute: string;
  readonly #io: FileIO;
  #real: Promise<string> | null = null;

  constructor(io: FileIO, path: string) {
    this.given = path;
    this.#absolute = resolve(path);
    this.#io = io;
  }

  /** The real path of the file; resolved on the first call (a failed resolution is tried again by the next). */
  real(): Promise<string> {
    this.#real ??= this.#resolve(this.#absolute).catch((error: unknown) => {
      this.#real = null;
      throw new StorageError('STORAGE_IO', `could not resolve the path ${this.given}`, { cause: error });
    });
    return this.#real;
  }

  /**
   * Makes the last rename onto the file durable, as a write does right after it: fsyncs the
   * directory of its real path. Rejects with `STORAGE_IO` when that fails.
   */
  async syncDirectory(): Promise<void> {
    const path = await this.real();
    try {
      await fsyncDirectory(this.#io, dirname(path));
    } catch (error) {
      throw new StorageError('STORAGE_IO', `could not make the last write of ${this.given} durable`, {
        cause: error,
      });
    }
  }

  /**
   * Follows `path`, `hops` links in; a cycle of symlinks, or too long a chain, fails `realpath` with
   * ELOOP, and so does following more than {@link maxSymlinkHops} links here.
   */
  async #resolve(path: string, hops = 0): Promise<string> {
    try {
      return await realpath(path);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
    const target = await readlink(path).catch((error: unknown) => {
      // Not a symlink (EINVAL), or nothing there: the file is still to be created at `path`.
      if (errnoCode(error) === 'EINVAL' || errnoCode(error) === 'ENOENT') return null;
      throw error;
    });
    if (target === null) await this.#io.mkdir(dirname(path));
    const dir = await realpath(dirname(path));
    if (target === null) return join(dir, basename(path));
    if (hops === maxSymlinkHops) {
      throw Object.assign(new Error(`too many levels of symbolic links at ${path}`), { code: 'ELOOP' });
    }
    // A relative target is read from the link's real directory, as the kernel does.
    return this.#resolve(resolve(dir, target), hops + 1);
  }
}
