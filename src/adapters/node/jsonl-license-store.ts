import { StorageError } from '../../domain/errors.js';
import { isCanonicalLicense, type License, licenseKeyIndex, licenseSchema } from '../../domain/license.js';
import type { LicenseStore } from '../../ports/storage.js';
import type { LicenseTable } from '../_license-table.js';
import { sweepTempFiles } from './atomic-write.js';
import { type FileIO, nodeFileIO } from './file-io.js';
import {
  type FileLicenseStoreOptions,
  fileLicenseStore,
  type LicenseFile,
  type TableWrite,
} from './file-license-store.js';
import type { Fence } from './file-lock.js';
import { JsonlFile, type JsonlLine } from './jsonl-file.js';
import type { LicenseSink } from './license-cache.js';
import { StorePath } from './store-path.js';

/** Options of {@link jsonlLicenseStore}. */
export interface JsonlLicenseStoreOptions extends FileLicenseStoreOptions {
  /** The journal file, e.g. `data/licenses.jsonl` (created on the first write, mode 0600). */
  path: string;
  /** @internal File operations, replaced by fault-injection tests. */
  io?: FileIO;
}

/**
 * Licenses in an append-only journal: each write appends the new version of each changed license
 * as one line (one `write()` and one fsync per group-committed batch), so writes cost the size of the
 * change, not of the store. When superseded lines outnumber live ones, the journal is compacted by an
 * atomic rewrite. A torn last line (crash mid-append) is ignored and cut before the next append.
 */
export function jsonlLicenseStore(options: JsonlLicenseStoreOptions): LicenseStore {
  return fileLicenseStore(new JsonlLicenseFile(options.path, options.io ?? nodeFileIO), options);
}

class JsonlLicenseFile implements LicenseFile {
  readonly store: StorePath;
  readonly #io: FileIO;
  readonly #journal: JsonlFile;

  constructor(path: string, io: FileIO) {
    this.store = new StorePath(io, path);
    this.#io = io;
    this.#journal = new JsonlFile(io, this.store, 'licensekit-license-journal');
  }

  async recover(): Promise<void> {
    await sweepTempFiles(this.#io, await this.store.real());
  }

  async refresh(licenses: LicenseSink): Promise<void> {
    await this.#journal.catchUp(
      (line) => licenses.put(this.#parse(line)),
      () => licenses.clear(),
    );
  }

  async persist(
    table: LicenseTable,
    staged: ReadonlyMap<string, License>,
    fence: Fence,
    writeTable: TableWrite,
  ): Promise<void> {
    await this.#journal.append(
      [...staged.values()].map((license) => JSON.stringify(license)),
      fence,
    );
    const added = [...staged.values()].filter((license) => table.get(license.key) === null);
    if (this.#journal.recordCount > 2 * (table.size + added.length) + 1000) {
      const current = (license: License) => staged.get(licenseKeyIndex(license.key)) ?? license;
      const compact = (committed: () => void) =>
        this.#journal.rewrite(
          [...table.values(), ...added].map((license) => JSON.stringify(current(license))),
          fence,
          committed,
        );
      // The append above is durable already; a failed compaction is retried on a later write.
      await writeTable(compact).catch(() => undefined);
    }
  }

  #parse({ value, line }: JsonlLine): License {
    if (isCanonicalLicense(value)) return value;
    const result = licenseSchema.safeParse(value);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    throw new StorageError(
      'STORAGE_CORRUPT',
      `${this.store.given} line ${line} is not a valid license: ${issue?.path.join('.')} ${issue?.message}`,
    );
  }
}
