import type { CurrencyRevenue } from '../../index.js';
import { formatMinorUnits } from '../../index.js';
import type { Tally } from '../legacy-tally.js';
import { table } from './table.js';

const maxSkipsShown = 50;

/** The human summary of a legacy import: counts, skips with reasons, notes, and the books. */
export function importSummaryLines(tally: Tally, dir: string): string[] {
  const { licenses, purchases } = tally;
  const verb = tally.dryRun ? 'would import' : 'imported';
  const events = Object.entries(purchases.events)
    .map(([type, count]) => `${count} ${type}`)
    .join(', ');
  const lines = [
    `${tally.dryRun ? 'Dry run (nothing written): ' : ''}legacy import into ${dir}`,
    '',
    `Licenses   ${licenses.inFile} in the file: ${licenses.imported} ${verb}, ` +
      `${licenses.alreadyThere} already there, ${licenses.skipped} skipped`,
    `Purchases  ${purchases.lines} lines: ${purchases.imported} ${verb}${events ? ` (${events})` : ''}, ` +
      `${purchases.alreadyThere} already there, ${purchases.duplicates} duplicate, ${purchases.skipped} skipped`,
  ];
  if (tally.skipped.length > 0) {
    lines.push('', 'Skipped (fix these and run the import again; nothing is imported twice):');
    for (const { where, reason } of tally.skipped.slice(0, maxSkipsShown))
      lines.push(`  ${where}: ${reason}`);
    if (tally.skipped.length > maxSkipsShown) {
      lines.push(`  ... and ${tally.skipped.length - maxSkipsShown} more (--json lists them all)`);
    }
  }
  if (tally.notes.length > 0) {
    lines.push('', 'Notes (imported, with these choices):');
    for (const { note, count, where } of tally.notes) {
      const more = count > where.length ? `, +${count - where.length} more` : '';
      lines.push(`  ${count} × ${note} (${where.join(', ')}${more})`);
    }
  }
  lines.push('', ...booksLines(tally));
  return lines;
}

/** Gross, refunded and net per currency: legacy files, before, imported now, after. */
function booksLines(tally: Tally): string[] {
  const currencies = Object.entries(tally.books);
  if (currencies.length === 0) return ['No money in the files or the data directory.'];
  const rows = currencies.flatMap(([currency, books]) =>
    (['gross', 'refunded', 'net'] as const).map((field) => {
      const cell = (money: CurrencyRevenue): string => formatMinorUnits(money[field], currency);
      return [
        field === 'gross' ? currency : '',
        field,
        cell(books.legacy),
        cell(books.before),
        cell(books.imported),
        cell(books.after),
      ];
    }),
  );
  const columns = [
    { header: 'Books' },
    { header: '' },
    { header: 'legacy files', align: 'right' },
    { header: 'before', align: 'right' },
    { header: tally.dryRun ? 'would import' : 'imported now', align: 'right' },
    { header: tally.dryRun ? 'after (expected)' : 'after', align: 'right' },
  ] as const;
  const verdict = tally.booksMatch
    ? `after − before = ${tally.dryRun ? 'would import' : 'imported now'}, in every currency`
    : 'after − before differs from what this run imported: another process wrote sales meanwhile';
  return [...table(columns, rows), '', `${tally.booksMatch ? '✓' : '!'} ${verdict}`];
}
