import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type FileIO, nodeFileIO } from '../../src/adapters/node/file-io.js';
import { JsonlFile } from '../../src/adapters/node/jsonl-file.js';
import { StorePath } from '../../src/adapters/node/store-path.js';
import { jsonlLicenseStore, jsonlPurchaseLog } from '../../src/node.js';
import { licenseFixture, purchaseRecordFixture } from '../../src/testing/fixtures.js';
import { TempDirs } from '../helpers/temp-dir.js';

// A JSONL reader reads on from its offset only while the file is the one it read: same inode, not
// shorter, and the same header line, whose random epoch changes on every create and rewrite.

const dirs = new TempDirs();
afterAll(() => dirs.removeAll());

const noFence = async (): Promise<void> => undefined;

/** `nodeFileIO` reporting one inode number for every file: a filesystem that reuses freed numbers at once. */
const oneInode: FileIO = {
  ...nodeFileIO,
  stat: async (path) => ({ ...(await nodeFileIO.stat(path)), ino: 7 }),
  fstat: async (fd) => ({ ...(await nodeFileIO.fstat(fd)), ino: 7 }),
};

/** A JsonlFile on `path` read through `io`, collecting what it has read; `resets` counts re-reads. */
function follow(io: FileIO, path: string) {
  const file = new JsonlFile(io, new StorePath(io, path), 'test-journal');
  const state = { values: [] as unknown[], resets: 0 };
  const catchUp = () =>
    file.catchUp(
      (line) => state.values.push(line.value),
      () => {
        state.resets++;
        state.values = [];
      },
    );
  return { file, state, catchUp };
}

/**
 * `nodeFileIO` whose fsync, once armed, runs `during` (the appended bytes are in the file by then)
 * and then fails with EIO: an append that another reader sees, and that is then rolled back.
 */
function failingFsync() {
  const armed = { during: null as (() => Promise<void>) | null };
  const io: FileIO = {
    ...nodeFileIO,
    fsync: async (fd) => {
      const during = armed.during;
      if (during === null) return nodeFileIO.fsync(fd);
      armed.during = null;
      await during();
      throw Object.assign(new Error('EIO injected'), { code: 'EIO' });
    },
  };
  return { io, armed };
}

/**
 * `nodeFileIO` on a disk that fills up once armed: the next append writes its first line only (a short
 * write), then `during` runs and every new file fails with ENOSPC (the rollback's copy), and so does
 * a write to `path` through a descriptor of its own (the new header) when `headerFails`.
 */
function fullDisk(path: string) {
  const armed = { during: null as (() => Promise<void>) | null, headerFails: false };
  let full = false;
  const enospc = () => Object.assign(new Error('ENOSPC injected'), { code: 'ENOSPC' });
  const io: FileIO = {
    ...nodeFileIO,
    write: async (fd, buffer, offset, length, position) => {
      if (armed.during === null || position !== null)
        return nodeFileIO.write(fd, buffer, offset, length, position);
      const firstLine = buffer.subarray(offset, offset + length).indexOf(0x0a) + 1;
      return nodeFileIO.write(fd, buffer, offset, firstLine, position);
    },
    open: async (file, flags, mode) => {
      if (armed.during !== null && flags === 'wx') {
        const during = armed.during;
        armed.during = null;
        full = true;
        await during();
      }
      if (full && (flags === 'wx' || (flags === 'r+' && file === path && armed.headerFails))) {
        throw enospc();
      }
      return nodeFileIO.open(file, flags, mode);
    },
  };
  return { io, armed, freed: () => (full = false) };
}

async function headerOf(path: string): Promise<Record<string, unknown>> {
  return JSON.parse((await readFile(path, 'utf8')).split('\n')[0]!) as Record<string, unknown>;
}

describe('JSONL file generations', () => {
  // Compaction replaces the journal by rename, which frees the old inode, and ext4 hands freed inode
  // numbers out again: after a later compaction the journal can have the inode a reader cached.
  it('licenses.jsonl: a reader that missed compactions sees the current licenses', async () => {
    const path = join(await dirs.make('jsonl-inode'), 'licenses.jsonl');
    const writer = jsonlLicenseStore({ path });
    const licenses = Array.from({ length: 10 }, () => licenseFixture({ maxDevices: 1 }));
    for (const l of licenses) await writer.insert(l);
    const reader = jsonlLicenseStore({ path, refreshMs: 0 });
    expect((await reader.get(licenses[0]!.key))?.maxDevices).toBe(1);
    const cached = (await stat(path)).ino;
    const seen = [cached];
    let rounds = 0;
    // The writer changes every license round after round (compacting every ~100 rounds) until the
    // journal has the reader's inode again (or 1200 rounds passed on a filesystem that does not reuse).
    while (rounds < 1200) {
      rounds++;
      await Promise.all(
        licenses.map((l) => writer.update(l.key, (c) => ({ ...c, maxDevices: c.maxDevices + 1 }))),
      );
      const ino = (await stat(path)).ino;
      if (ino !== seen.at(-1)) seen.push(ino);
      if (seen.length > 2 && ino === cached) break;
    }
    const expected = (await writer.get(licenses[0]!.key))?.maxDevices;
    const got = await reader.get(licenses[0]!.key).then(
      (l) => l?.maxDevices,
      (e) => `${e.code}: ${e.message}`,
    );
    expect({ inodes: seen, rounds, got }).toEqual({ inodes: seen, rounds, got: expected });
    await writer.close();
    await reader.close();
  }, 120_000);

  it('a rewritten file with the old inode number and a size past the old offset is read afresh', async () => {
    const path = join(await dirs.make('jsonl-epoch'), 'journal.jsonl');
    const writer = follow(nodeFileIO, path);
    const reader = follow(oneInode, path);
    await writer.catchUp();
    await writer.file.append(['"a"', '"b"'], noFence);
    await reader.catchUp();
    expect(reader.state.values).toEqual(['a', 'b']);
    // Same length as before (an epoch has a fixed length), then one more line: without the epoch
    // the reader would take only "e" as news.
    await writer.file.rewrite(['"c"', '"d"'], noFence);
    await writer.file.append(['"e"'], noFence);
    await reader.catchUp();
    expect(reader.state).toEqual({ values: ['c', 'd', 'e'], resets: 1 });
    await reader.catchUp();
    expect(reader.state).toEqual({ values: ['c', 'd', 'e'], resets: 1 });
  });

  it('the header keeps format and version 1 and gets a new random epoch on create and on every rewrite', async () => {
    const path = join(await dirs.make('jsonl-header'), 'journal.jsonl');
    const writer = follow(nodeFileIO, path);
    await writer.catchUp();
    await writer.file.append(['1'], noFence);
    const created = await headerOf(path);
    await writer.file.rewrite(['2'], noFence);
    const rewritten = await headerOf(path);
    expect(created).toEqual({
      format: 'test-journal',
      version: 1,
      epoch: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(rewritten).toEqual({ ...created, epoch: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(rewritten.epoch).not.toBe(created.epoch);
  });
});

describe('JSONL files of earlier versions (no epoch in the header)', () => {
  it('licenses.jsonl without an epoch opens, is read and appended to as it is', async () => {
    const path = join(await dirs.make('jsonl-legacy'), 'licenses.jsonl');
    const old = licenseFixture();
    const header = '{"format":"licensekit-license-journal","version":1}';
    await writeFile(path, `${header}\n${JSON.stringify(old)}\n`);
    const store = jsonlLicenseStore({ path });
    expect((await store.get(old.key))?.key).toBe(old.key);
    const added = licenseFixture();
    expect((await store.insert(added)).created).toBe(true);
    await store.close();
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines.length).toBe(3);
    expect(lines[0]).toBe(header);
  });

  it('a reader of a file without an epoch starts over when a rewrite with the same inode number gives it one', async () => {
    const path = join(await dirs.make('jsonl-legacy-rewrite'), 'journal.jsonl');
    await writeFile(path, '{"format":"test-journal","version":1}\n"a"\n"b"\n');
    const reader = follow(oneInode, path);
    await reader.catchUp();
    expect(reader.state.values).toEqual(['a', 'b']);
    const writer = follow(nodeFileIO, path);
    await writer.catchUp();
    await writer.file.rewrite(['"c"', '"d"', '"e"'], noFence);
    await reader.catchUp();
    expect(reader.state).toEqual({ values: ['c', 'd', 'e'], resets: 1 });
  });
});

// Each store object below keeps its own view of the file, as a process of its own would; the reader
// reads without the lock, as other processes do.
describe('a failed append that another reader saw', () => {
  // Before: the append was rolled back with ftruncate, keeping the inode and the header. A reader
  // that had read the failed bytes kept their records, and once later appends grew the file past its
  // offset it read on from there: the sale's retry was answered "duplicate" and never stored.
  it('purchases.jsonl: the reader forgets the record, and the retry of that sale is stored', async () => {
    const dir = await dirs.make('rollback-log');
    const path = join(dir, 'purchases.jsonl');
    const reader = jsonlPurchaseLog({ path });
    const { io, armed } = failingFsync();
    const writer = jsonlPurchaseLog({ path, io });
    await writer.append(purchaseRecordFixture());
    const lost = purchaseRecordFixture();
    let seenDuring: boolean | null = null;
    armed.during = async () => {
      seenDuring = await reader.has(lost);
    };
    const first = await writer.append(lost).catch((error) => error.code);
    // Later appends, longer than the failed one, grow the file past the reader's offset.
    for (let i = 0; i < 3; i++) await writer.append(purchaseRecordFixture());
    const hasAfter = await reader.has(lost);
    const retried = await reader.append(lost);
    await Promise.all([writer.close(), reader.close()]);
    const check = jsonlPurchaseLog({ path, lockPath: join(dir, 'check.lock') });
    const ids: string[] = [];
    for await (const record of check.scan()) ids.push(record.id);
    await check.close();
    expect({
      seenDuring,
      first,
      hasAfter,
      retried,
      records: ids.length,
      stored: ids.includes(lost.id),
    }).toEqual({
      seenDuring: true,
      first: 'STORAGE_IO',
      hasAfter: false,
      retried: true,
      records: 5,
      stored: true,
    });
  });

  it('licenses.jsonl: the reader no longer finds the license whose insert failed', async () => {
    const path = join(await dirs.make('rollback-journal'), 'licenses.jsonl');
    const reader = jsonlLicenseStore({ path, refreshMs: 0 });
    const { io, armed } = failingFsync();
    const writer = jsonlLicenseStore({ path, io });
    const opened = licenseFixture();
    await writer.insert(opened);
    // Opened first: opening takes the lock, which the writer holds while it fails.
    expect((await reader.get(opened.key))?.key).toBe(opened.key);
    const lost = licenseFixture();
    let foundDuring: string | undefined;
    armed.during = async () => {
      foundDuring = (await reader.get(lost.key))?.key;
    };
    const first = await writer.insert(lost).catch((error) => error.code);
    const later = Array.from({ length: 3 }, () => licenseFixture());
    for (const license of later) await writer.insert(license);
    await new Promise((resolve) => setTimeout(resolve, 5)); // refreshMs: 0 has passed
    const foundAfter = (await reader.get(lost.key))?.key ?? null;
    const laterFound = await Promise.all(later.map(async (license) => (await reader.get(license.key))?.key));
    await Promise.all([writer.close(), reader.close()]);
    expect({ foundDuring, first, foundAfter, laterFound }).toEqual({
      foundDuring: lost.key,
      first: 'STORAGE_IO',
      foundAfter: null,
      laterFound: later.map((license) => license.key),
    });
  });

  it('the file keeps its records byte for byte under a new header (a new epoch)', async () => {
    const path = join(await dirs.make('rollback-bytes'), 'journal.jsonl');
    const { io, armed } = failingFsync();
    const writer = follow(io, path);
    await writer.catchUp();
    await writer.file.append(['"a"', '"b"'], noFence);
    const before = await readFile(path, 'utf8');
    armed.during = async () => undefined;
    const failed = await writer.file.append(['"c"'], noFence).catch((error) => error.code);
    const after = await readFile(path, 'utf8');
    const body = (text: string) => text.slice(text.indexOf('\n'));
    expect({
      failed,
      body: body(after),
      epochChanged: (await headerOf(path)).epoch !== JSON.parse(before.split('\n')[0]!).epoch,
    }).toEqual({
      failed: 'STORAGE_IO',
      body: body(before),
      epochChanged: true,
    });
    // The writer reads on from the end of the new file.
    await writer.file.append(['"d"'], noFence);
    const reader = follow(nodeFileIO, path);
    await reader.catchUp();
    expect(reader.state.values).toEqual(['a', 'b', 'd']);
  });

  // Before: when the copy failed too (a full disk), the file was only cut back: same inode, same
  // header. The reader kept the record never stored and, after the next append, read on from the
  // middle of a line: STORAGE_CORRUPT on every read from then on.
  it('when the copy fails too (a full disk), the file is cut back under a new header in place: the reader starts over', async () => {
    const path = join(await dirs.make('rollback-full-disk'), 'journal.jsonl');
    const { io, armed, freed } = fullDisk(path);
    const writer = follow(io, path);
    const reader = follow(nodeFileIO, path);
    await writer.catchUp();
    await writer.file.append(['"a"'], noFence);
    const before = { header: await headerOf(path), ino: (await stat(path)).ino };
    let seenDuring: unknown[] = [];
    armed.during = async () => {
      await reader.catchUp();
      seenDuring = [...reader.state.values];
    };
    const failed = await writer.file.append(['"p1"', '"p2"'], noFence).catch((error) => error.code);
    freed();
    await writer.file.append([`"${'n'.repeat(40)}"`], noFence); // past the reader's offset
    await reader.catchUp();
    expect({
      seenDuring,
      failed,
      reader: reader.state,
      sameInode: (await stat(path)).ino === before.ino,
      epochChanged: (await headerOf(path)).epoch !== before.header.epoch,
    }).toEqual({
      seenDuring: ['a', 'p1'],
      failed: 'STORAGE_IO',
      reader: { values: ['a', 'n'.repeat(40)], resets: 1 },
      sameInode: true,
      epochChanged: true,
    });
  });

  it('when the new header cannot be written either, the append rejects with its own error and the file is cut back', async () => {
    const path = join(await dirs.make('rollback-no-header'), 'journal.jsonl');
    const { io, armed, freed } = fullDisk(path);
    const writer = follow(io, path);
    await writer.catchUp();
    await writer.file.append(['"a"'], noFence);
    const before = await readFile(path, 'utf8');
    armed.headerFails = true;
    armed.during = async () => undefined;
    const failed = await writer.file.append(['"p1"', '"p2"'], noFence).catch((error) => error);
    const after = await readFile(path, 'utf8');
    freed();
    await writer.file.append(['"b"'], noFence);
    const reader = follow(nodeFileIO, path);
    await reader.catchUp();
    expect({
      failed: [failed.code, failed.cause?.message],
      cutBack: after === before,
      values: reader.state.values,
    }).toEqual({
      failed: ['STORAGE_IO', expect.stringMatching(/^short write/)],
      cutBack: true,
      values: ['a', 'b'],
    });
  });
});
