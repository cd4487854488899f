/**
 * licenses.json as the JSON-file store writes it, read line by line: the head, one license per
 * line (each but the last followed by `,`), then the footer.
 */
export interface LicenseFileLines {
  generation: number;
  /** The value of each license line, parsed on its own. */
  values: unknown[];
  /** The file's bytes; `starts[i]` to `ends[i]` is line `i` without its line break or `,`. */
  bytes: Buffer;
  starts: number[];
  ends: number[];
}

const head = /^\{"format":"licensekit-licenses","version":1,"generation":([1-9]\d*),"licenses":\[$/;
const footer = '\n]}\n';

/**
 * Reads `bytes` (and `text`, their UTF-8 decoding) line by line when they are laid out exactly as
 * the store writes them, and every line is JSON on its own. The document is then nothing but its
 * head and those values, so each line's bytes hold exactly its license and can be written again
 * as they are. `null` for any other layout (edited by hand, pretty-printed, CRLF line breaks,
 * another version): the caller parses the document whole, which also reports what is wrong.
 */
export function readLicenseFileLines(bytes: Buffer, text: string): LicenseFileLines | null {
  const headEnd = text.indexOf('\n');
  const match = head.exec(text.slice(0, Math.max(headEnd, 0)));
  const generation = Number(match?.[1]);
  if (!Number.isSafeInteger(generation) || !text.endsWith(footer)) return null;
  const last = text.length - footer.length; // the line break that ends the last license line
  const lines: LicenseFileLines = { generation, values: [], bytes, starts: [], ends: [] };
  if (last <= headEnd + 1) return lines; // no licenses: `[` and `]}` on consecutive lines, or one apart
  // A line break is one byte in UTF-8, so the two searches find the same line breaks.
  let at = headEnd + 1;
  let byteAt = bytes.indexOf(10) + 1;
  for (;;) {
    const newline = text.indexOf('\n', at);
    const byteNewline = bytes.indexOf(10, byteAt);
    const isLast = newline === last;
    // Each line but the last ends with the `,` before the next one.
    const end = isLast ? newline : newline - 1;
    if (end < at || (!isLast && text.charCodeAt(end) !== 44)) return null;
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
