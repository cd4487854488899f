/** Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection list, plus LF). */
const formulaStart = /^[=+\-@\t\r\n]/;
/** Characters that force RFC 4180 quoting. */
const needsQuotes = /[",\r\n]/;

/**
 * One CSV cell: a value starting with `=`, `+`, `-`, `@`, tab, CR or LF gets a leading `'` so a
 * spreadsheet shows it as text instead of running it, then the cell is quoted (quotes doubled) when
 * it holds `"`, `,`, CR or LF (RFC 4180).
 */
export function csvCell(value: string): string {
  const safe = formulaStart.test(value) ? `'${value}` : value;
  return needsQuotes.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** One CSV row: the encoded cells joined by commas, ending in CRLF. */
export function csvRow(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
