/** The `format` that licenses.json declares in its head. */
export const licenseFileFormat = 'licensekit-licenses';

/** What follows the last license line of licenses.json: its line break, then `]}` and one more. */
export const licenseFileFooter = '\n]}\n';

/**
 * licenses.json laid out as the JSON-file store writes it, read line by line: the head, one
 * license per line (each but the last followed by `,`), then the footer.
 */
export interface LicenseFileLines {
  generation: number;
  /** The value of each license line, parsed on its own. */
  values: unknown[];
  /** The file's bytes; `starts[i]` to `ends[i]` is license line `i` without its `,` and line break. */
  bytes: Buffer;
  starts: number[];
  ends: number[];
}

const head = new RegExp(
  `^\\{"format":"${licenseFileFormat}","version":1,"generation":([1-9]\\d*),"licenses":\\[$`,
);
/** The bytes that end each license line but the last: a comma, then a line break. */
export const comma = 0x2c;
export const lineBreak = 0x0a;

/**
 * Whether `generation` can be a file's: from 1 (0 stands for "no file") to one below the largest
 * safe integer, so that the next write's generation is safe too.
 */
export function isFileGeneration(generation: unknown): generation is number {
  return (
    Number.isSafeInteger(generation) &&
    (generation as number) >= 1 &&
    Number.isSafeInteger((generation as number) + 1)
  );
}

/**
 * Reads `bytes` (and `text`, their UTF-8 decoding) line by line when they are laid out as the store
 * writes them and every license line is JSON on its own. The document is then nothing but its head
 * and those values, so each line's bytes hold exactly its license and can be written again as they
 * are, however the license is spelled on its line. `null` for any other layout (pretty-printed,
 * CRLF line breaks, another version, a value over several lines): the caller parses the document
 * whole, which also reports what is wrong.
 */
export function readLicenseFileLines(bytes: Buffer, text: string): LicenseFileLines | null {
  const headEnd = text.indexOf('\n');
  const match = headEnd < 0 ? null : head.exec(text.slice(0, headEnd));
  const generation = Number(match?.[1]);
  if (match === null || !isFileGeneration(generation) || !text.endsWith(licenseFileFooter)) return null;
  // The line break that ends the last license line, and begins the footer.
  const last = text.length - licenseFileFooter.length;
  const lines: LicenseFileLines = { generation, values: [], bytes, starts: [], ends: [] };
  // No licenses: `[` and `]}` on consecutive lines, or with one empty line between (as written).
  if (last <= headEnd + 1) return lines;
  // A line break is one byte in UTF-8, so the two searches find the same line breaks.
  let at = headEnd + 1;
  let byteAt = bytes.indexOf(lineBreak) + 1;
  for (;;) {
    const newline = text.indexOf('\n', at);
    const byteNewline = bytes.indexOf(lineBreak, byteAt);
    const isLast = newline === last;
    // Each line but the last ends with the `,` before the next one.
    const end = isLast ? newline : newline - 1;
    if (end < at || (!isLast && text.charCodeAt(end) !== comma)) return null;
    let value: unknown;
    try {
      value = JSON.parse(text.slice(at, end));
    } catch {
      return null;
    }
    lines.values.push(value);
    lines.starts.push(byteAt);
    lines.ends.push(isLast ? byteNewline : byteNewline - 1);
    if (isLast) return lines;
    at = newline + 1;
    byteAt = byteNewline + 1;
  }
}
