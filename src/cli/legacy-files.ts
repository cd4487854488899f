import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { errorText, RefusedError } from './command.js';
import { asObject, type LegacyObject } from './legacy-values.js';

/** One line of `purchases.jsonl`: its 1-based number and the object on it, or why there is none. */
export type LegacyLine = { line: number; value: LegacyObject } | { line: number; error: string };

/**
 * The entries of a legacy `licenses.json` (one JSON object keyed by license key), in file order.
 * The file is one document, so a file that does not parse imports nothing: it is refused, naming
 * the file and the parser's complaint.
 */
export async function readLegacyLicenses(path: string): Promise<[string, unknown][]> {
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (error) {
    throw new RefusedError(`cannot read --licenses ${path}: ${errorText(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(source.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new RefusedError(
      `--licenses ${path} is not valid JSON (${errorText(error)}); fix it and run again`,
    );
  }
  const licenses = asObject(parsed);
  if (licenses === null) {
    throw new RefusedError(`--licenses ${path} must be one JSON object keyed by license key`);
  }
  return Object.entries(licenses);
}

/**
 * The lines of a legacy `purchases.jsonl`, streamed (memory stays flat for large files). Blank lines
 * are passed over; a line that is not JSON or not an object comes back with its error.
 */
export async function* readLegacyPurchases(path: string): AsyncGenerator<LegacyLine> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  try {
    await opened;
  } catch (error) {
    throw new RefusedError(`cannot read --purchases ${path}: ${errorText(error)}`);
  }
  let line = 0;
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })[
    Symbol.asyncIterator
  ]();
  for (;;) {
    let next: IteratorResult<string>;
    try {
      next = await lines.next();
    } catch (error) {
      // A directory opens, and fails only once read (EISDIR).
      throw new RefusedError(`cannot read --purchases ${path}: ${errorText(error)}`);
    }
    if (next.done === true) return;
    const raw = next.value;
    line++;
    const content = (line === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim();
    if (content === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch (error) {
      yield { line, error: `not valid JSON (${errorText(error)})` };
      continue;
    }
    const value = asObject(parsed);
    yield value === null ? { line, error: 'not a JSON object' } : { line, value };
  }
}
