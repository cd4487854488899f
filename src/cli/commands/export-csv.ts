import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import {
  type AuditQuery,
  type CsvColumn,
  csvColumns,
  isLicenseKitError,
  PurchaseAuditLog,
  purchaseEventTypes,
} from '../../index.js';
import { exportCsvToFile } from '../../node.js';
import { type Command, dataOptions, parseCommand, RefusedError, UsageError } from '../command.js';
import { dataDirOf, withData } from '../data.js';
import { plural } from '../format/table.js';
import { parseChoice, parseWindow } from '../options.js';
import { print, printJson, progress } from '../output.js';
import { purchaseFilterOptions, purchaseQuery } from '../purchase-filters.js';
import { withinWindow } from '../time-window.js';

const options = {
  ...dataOptions,
  ...purchaseFilterOptions,
  kind: { type: 'string' },
  columns: { type: 'string' },
  force: { type: 'boolean' },
} as const;

/** `licensekit export-csv FILE`: the audit log as CSV, streamed into a file written atomically. */
export const exportCsvCommand: Command = {
  name: 'export-csv',
  summary: 'write the audit log (or part of it) to a CSV file for accounting',
  help: `Usage: licensekit export-csv FILE [filters] [--columns a,b,c] [--force]

Streams the audit log into FILE as RFC 4180 CSV (header row, cells that could run as spreadsheet
formulas neutralised). The file appears complete or not at all (mode 0600: it holds customer
emails). An existing FILE is refused unless --force. Progress shows on stderr in a terminal.

Filters:
  --kind purchase|license   only purchase events, or only license actions
  --source S                only this store's purchase events
  --email E                 only this buyer's purchase events
  --product P               only this product's purchase events
  --type T                  only this event type (${purchaseEventTypes.join(', ')})
  --since D, --until D      when it happened: 2025-12-03, 2025-12, 2025, an ISO timestamp, 30d
  --include-test            include test purchases

Options:
  --columns a,b,c   columns in this order (default all): ${csvColumns.join(', ')}
  --force           replace FILE if it exists
  --data DIR        data directory (default ./data, or LICENSEKIT_DATA)
  --json            print the result ({ file, rows, bytes }) as JSON

Example:
  licensekit export-csv purchases-2025-12.csv --source gumroad --since 2025-12 --until 2025-12`,
  async run(args) {
    const { values, positionals } = parseCommand('export-csv', args, options);
    const [file, extra] = positionals;
    if (file === undefined) throw new UsageError('export-csv: name the file to write (export-csv FILE)');
    if (extra !== undefined) throw new UsageError(`export-csv: unexpected argument "${extra}"`);
    const filter: AuditQuery = {
      kind: values.kind === undefined ? undefined : parseChoice('kind', values.kind, ['purchase', 'license']),
      ...purchaseQuery(values),
    };
    const columns = parseColumns(values.columns);
    const window = parseWindow(values);
    if (await isStoreFile(file, dataDirOf(values))) {
      throw new RefusedError(`${file} is a file of the data directory's storage; export somewhere else`);
    }
    if (values.force !== true && (await exists(file))) {
      throw new RefusedError(`${file} exists; pass --force to replace it`);
    }
    return withData(dataDirOf(values), async ({ storage }) => {
      const audit = new PurchaseAuditLog({ storage: withinWindow(storage, window) });
      const shown = progress();
      const result = await exportCsvToFile(audit, file, {
        filter,
        columns,
        overwrite: values.force === true,
        onProgress: (rows) => shown.update(`exporting… ${plural(rows, 'row')}`),
      })
        .catch((error: unknown) => {
          if (isLicenseKitError(error, 'INVALID_INPUT') && /exists/.test(String(error))) {
            throw new RefusedError(`${file} exists; pass --force to replace it`);
          }
          throw error;
        })
        .finally(() => shown.done());
      if (values.json === true) await printJson({ file, ...result });
      else await print(`Wrote ${plural(result.rows, 'row')} (${result.bytes} bytes) to ${file}`);
      return 0;
    });
  },
};

function parseColumns(text: string | undefined): CsvColumn[] | undefined {
  if (text === undefined) return undefined;
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !(csvColumns as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--columns: ${names.length === 0 ? 'no column named' : `unknown column ${unknown.join(', ')}`} ` +
        `(choose from ${csvColumns.join(', ')})`,
    );
  }
  return names as CsvColumn[];
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The files the storage keeps in a data directory, which an export must never replace. */
const storeFiles = new Set(['licenses.json', 'licenses.json.bak', 'purchases.jsonl', '.lock']);

/** Whether `file` names one of the storage's files in the data directory `dir` (however spelled). */
async function isStoreFile(file: string, dir: string): Promise<boolean> {
  if (!storeFiles.has(basename(file))) return false;
  const [fileDir, dataDir] = await Promise.all([
    realpath(dirname(resolve(file))).catch(() => null),
    realpath(dir).catch(() => null),
  ]);
  return fileDir !== null && fileDir === dataDir;
}
