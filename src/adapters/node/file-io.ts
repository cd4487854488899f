import * as fs from 'node:fs';

/** Size and identity of an open or named file. */
export interface FileStat {
  size: number;
  ino: number;
}

/**
 * The file operations the file adapters use, on descriptors. The default is `node:fs`; tests
 * substitute a wrapper that fails the Nth call of an operation to prove no fault loses data.
 */
export interface FileIO {
  open(path: string, flags: string, mode?: number): Promise<number>;
  /** Writes once at `position` (or at the end for an append descriptor) and reports the bytes written. */
  write(
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<number>;
  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  fsync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  fstat(fd: number): Promise<FileStat>;
  close(fd: number): Promise<void>;
  stat(path: string): Promise<FileStat>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  readdir(dir: string): Promise<string[]>;
  mkdir(dir: string): Promise<void>;
}

function call<T>(run: (done: (error: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    run((error, value) => (error ? reject(error) : resolve(value as T))),
  );
}

/** {@link FileIO} on `node:fs` callbacks (cheaper than `fs/promises` file handles). */
export const nodeFileIO: FileIO = {
  open: (path, flags, mode) => call((done) => fs.open(path, flags, mode, done)),
  write: (fd, buffer, offset, length, position) =>
    call((done) => fs.write(fd, buffer, offset, length, position, (error, written) => done(error, written))),
  read: (fd, buffer, offset, length, position) =>
    call((done) =>
      fs.read(fd, buffer, offset, length, position, (error, bytesRead) => done(error, bytesRead)),
    ),
  fsync: (fd) => call((done) => fs.fsync(fd, done)),
  ftruncate: (fd, length) => call((done) => fs.ftruncate(fd, length, done)),
  fstat: (fd) =>
    call((done) => fs.fstat(fd, (error, st) => done(error, st && { size: st.size, ino: st.ino }))),
  close: (fd) => call((done) => fs.close(fd, done)),
  stat: (path) =>
    call((done) => fs.stat(path, (error, st) => done(error, st && { size: st.size, ino: st.ino }))),
  rename: (from, to) => call((done) => fs.rename(from, to, done)),
  link: (existing, newPath) => call((done) => fs.link(existing, newPath, done)),
  unlink: (path) => call((done) => fs.unlink(path, done)),
  readFile: (path) => call((done) => fs.readFile(path, done)),
  readdir: (dir) => call((done) => fs.readdir(dir, done)),
  mkdir: (dir) => call((done) => fs.mkdir(dir, { recursive: true }, (error) => done(error))),
};

/** The errno code of a Node error, if it has one. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as NodeJS.ErrnoException).code : undefined;
}

/** Writes all of `buffer` at `position`, looping on short writes; a write that makes no progress fails. */
export async function writeFully(
  io: FileIO,
  fd: number,
  buffer: Uint8Array,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const written = await io.write(fd, buffer, done, buffer.length - done, position + done);
    if (written <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    done += written;
  }
}

/** Makes a rename or file creation in `dir` durable (POSIX only; Windows cannot open a directory). */
export async function fsyncDirectory(io: FileIO, dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fd = await io.open(dir, 'r');
  try {
    await io.fsync(fd);
  } finally {
    await io.close(fd);
  }
}

/** Closes `fd`, ignoring errors: used on paths that are already failing. */
export async function closeQuietly(io: FileIO, fd: number): Promise<void> {
  await io.close(fd).catch(() => undefined);
}

/** Unlinks `path`, ignoring errors: used to clean up temp files on paths that are already failing. */
export async function unlinkQuietly(io: FileIO, path: string): Promise<void> {
  await io.unlink(path).catch(() => undefined);
}
