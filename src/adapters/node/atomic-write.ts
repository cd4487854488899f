import { randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { StorageError } from '../../domain/errors.js';
import {
  closeQuietly,
  errnoCode,
  type FileIO,
  fsyncDirectory,
  unlinkQuietly,
  writeFully,
} from './file-io.js';

/** Options for {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Keep the previous version of the file here (a hard link, so no copy is made). */
  backupPath?: string;
  /** Called just before the rename that commits; throwing aborts the write (lock fencing). */
  beforeCommit?: () => Promise<void>;
  /**
   * Called right after the rename: the file is replaced from then on, even if making the rename
   * durable (the directory fsync) then fails and the write rejects.
   */
  afterCommit?: () => Promise<void>;
}

/**
 * Removes temp files (`<name>.<pid>.<random>.tmp`) that writers of `path` left when they crashed.
 * Call it under the store lock: only lock holders write temp files, so every one found is an orphan.
 */
export async function sweepTempFiles(io: FileIO, path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const names = await io.readdir(dir).catch((error) => {
    if (errnoCode(error) === 'ENOENT') return [];
    throw new StorageError('STORAGE_IO', `could not read ${dir}`, { cause: error });
  });
  for (const name of names) {
    // Exactly `<name>[.bak].<pid>.<hex>.tmp`: a lock file beside it (`<name>.lock.<pid>.<hex>.tmp`)
    // belongs to a process waiting for the lock, not to a crashed writer.
    if (name.startsWith(prefix) && /^(bak\.)?\d+\.[0-9a-f]+\.tmp$/.test(name.slice(prefix.length))) {
      await unlinkQuietly(io, `${dir}/${name}`);
    }
  }
}

/**
 * Replaces `path` with `data` (one buffer, or chunks written in order, which may be produced while
 * they are written) so that a crash at any moment leaves either the old or the new file: unique temp
 * file (mode 0600) in the same directory, full write loop, size check, fsync, rename, directory fsync.
 * Any failure removes the temp file, leaves `path` untouched and rejects with a `STORAGE_IO` error; a
 * failed fsync is never retried on the same data.
 */
export async function writeFileAtomic(
  io: FileIO,
  path: string,
  data: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const chunks = data instanceof Uint8Array ? [data] : data;
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let fd: number | undefined;
  try {
    fd = await io.open(temp, 'wx', 0o600);
    let length = 0;
    for await (const chunk of chunks) {
      await writeFully(io, fd, chunk, length);
      length += chunk.length;
    }
    const { size } = await io.fstat(fd);
    if (size !== length) throw new Error(`temp file has ${size} bytes, expected ${length}`);
    await io.fsync(fd);
    const closing = fd;
    fd = undefined;
    await io.close(closing);
    if (options.backupPath) await keepBackup(io, path, options.backupPath);
    await options.beforeCommit?.();
    await io.rename(temp, path);
    await options.afterCommit?.();
  } catch (error) {
    if (fd !== undefined) await closeQuietly(io, fd);
    await unlinkQuietly(io, temp);
    if (error instanceof StorageError) throw error;
    throw new StorageError('STORAGE_IO', `could not write ${path}`, { cause: error });
  }
  try {
    await fsyncDirectory(io, dirname(path));
  } catch (error) {
    throw new StorageError('STORAGE_IO', `wrote ${path} but could not make the rename durable`, {
      cause: error,
    });
  }
}

async function keepBackup(io: FileIO, path: string, backupPath: string): Promise<void> {
  const temp = `${backupPath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await io.link(path, temp);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    await io.rename(temp, backupPath);
  } finally {
    // rename() does nothing when the backup already is this very file (a writer died before its
    // commit), leaving the temp link behind.
    await unlinkQuietly(io, temp);
  }
}
