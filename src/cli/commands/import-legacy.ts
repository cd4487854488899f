import {
  type Command,
  dataOptions,
  expectPositionals,
  parseCommand,
  RefusedError,
  UsageError,
} from '../command.js';
import { dataDirOf, withData } from '../data.js';
import { importSummaryLines } from '../format/import-summary.js';
import { runLegacyImport } from '../legacy-run.js';
import { print, printJson, progress } from '../output.js';

const options = {
  ...dataOptions,
  licenses: { type: 'string' },
  purchases: { type: 'string' },
  product: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'allow-skips': { type: 'boolean' },
} as const;

/** `licensekit import-legacy`: the old Python system's two files into a licensekit data directory. */
export const importLegacyCommand: Command = {
  name: 'import-legacy',
  summary: "import the old Python server's licenses.json and purchases.jsonl",
  help: `Usage: licensekit import-legacy --licenses FILE --purchases FILE [--dry-run] [--allow-skips]

Reads the legacy Python system's files (licenses.json: one object keyed by license key;
purchases.jsonl: one purchase a line) and writes licensekit records into the data directory
(created if missing), through the same locked storage the server uses, so it may run while the
server is up. Keys keep their exact text; an inactive license becomes revoked (legacy-inactive);
a bound hardware_id stays bound; refunded and disputed sales bring their refund and dispute
events so the books match. No email is sent. Running it again imports nothing new.

It prints what it took, what it skipped and why, the choices it made for missing fields, and the
books per currency (legacy files, before, imported now, after). Lines that do not parse or lack a
license_key, sale_id or price are skipped; then the exit code is 1 unless --allow-skips.

Options:
  --licenses FILE    the legacy licenses.json
  --purchases FILE   the legacy purchases.jsonl
  --product ID       product id for records that name none (default unknown-product)
  --dry-run          check everything and show the summary, write nothing
  --allow-skips      exit 0 even if something was skipped
  --data DIR         data directory (default ./data, or LICENSEKIT_DATA)
  --json             the summary as JSON (money in integer minor units)

Example:
  licensekit import-legacy --data ./data --licenses old/licenses.json --purchases old/purchases.jsonl --dry-run`,
  async run(args) {
    const { values, positionals } = parseCommand('import-legacy', args, options);
    expectPositionals('import-legacy', positionals, 0);
    if (values.licenses === undefined && values.purchases === undefined) {
      throw new UsageError('import-legacy: name the files (--licenses FILE --purchases FILE)');
    }
    if (values.product === '') throw new UsageError('import-legacy: --product needs a product id');
    const dir = dataDirOf(values);
    const dryRun = values['dry-run'] === true;
    const shown = progress();
    const tally = await withData(
      dir,
      (data) =>
        runLegacyImport(data, {
          licensesPath: values.licenses,
          purchasesPath: values.purchases,
          productId: values.product ?? 'unknown-product',
          now: new Date().toISOString(),
          dryRun,
          onProgress: (text) => shown.update(`importing… ${text}`),
        }).finally(() => shown.done()),
      dryRun ? 'dryRun' : 'create',
    );
    if (values.json === true) await printJson(tally);
    else await print(...importSummaryLines(tally, dir));
    const skipped = tally.skipped.length;
    if (skipped > 0 && values['allow-skips'] !== true) {
      throw new RefusedError(
        `${skipped} ${skipped === 1 ? 'item was' : 'items were'} skipped (listed above); ` +
          'fix them and run again, or pass --allow-skips',
      );
    }
    return 0;
  },
};
