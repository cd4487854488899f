import { visible } from './visible.js';

/** A table column: its header and which side its cells align to (numbers: `right`). */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/**
 * Plain-text table lines: a header row, a rule, then the rows, columns two spaces apart and padded
 * to their widest cell. No colour and no box drawing, so it reads the same in a pipe or a log.
 * Cells are made {@link visible} first, so a control character in data neither reaches the
 * terminal nor breaks the alignment.
 */
export function table(columns: readonly Column[], dataRows: readonly (readonly string[])[]): string[] {
  const rows = dataRows.map((row) => row.map(visible));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? '';
        return column.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((column) => column.header)),
    line(widths.map((width) => '─'.repeat(width))),
    ...rows.map(line),
  ];
}

/** `YYYY-MM-DD HH:MM` (UTC) of an ISO timestamp, or `—` for null. */
export function shortTime(iso: string | null): string {
  return iso === null ? '—' : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** `n thing` or `n things`. */
export function plural(count: number, thing: string, things = `${thing}s`): string {
  return `${count} ${count === 1 ? thing : things}`;
}
