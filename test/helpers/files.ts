import { readdir, readFile, stat } from 'node:fs/promises';

/** What a JSONL file holds: its parsed complete lines and any unterminated tail. */
export interface JsonlInspection {
  /** Every newline-terminated line, parsed (the header first). */
  values: unknown[];
  /** Complete lines that did not parse, as `line N: text`. */
  badLines: string[];
  /** The bytes after the last newline, or null when the file ends with one. */
  tornTail: string | null;
}

/** The bytes of `path`, or null when it does not exist. */
export async function readBytes(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Splits a JSONL file into parsed complete lines and an unterminated tail; null when it is absent. */
export async function inspectJsonl(path: string): Promise<JsonlInspection | null> {
  const bytes = await readBytes(path);
  if (bytes === null) return null;
  const text = bytes.toString('utf8');
  const end = text.lastIndexOf('\n');
  const complete = end === -1 ? [] : text.slice(0, end).split('\n');
  const tail = text.slice(end + 1);
  const values: unknown[] = [];
  const badLines: string[] = [];
  complete.forEach((line, i) => {
    try {
      values.push(JSON.parse(line));
    } catch {
      badLines.push(`line ${i + 1}: ${line.slice(0, 80)}`);
    }
  });
  return { values, badLines, tornTail: tail.length > 0 ? tail : null };
}

/** Names in `dir` that a crashed or failed writer may leave behind: temp and takeover files. */
export async function leftoverFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((name) => name.endsWith('.tmp') || name.endsWith('.stale')).sort();
}

/** Names in `dir` of torn tails cut off JSONL files (`<file>.torn-*`). */
export async function tornFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((name) => name.includes('.torn-')).sort();
}

/** The permission bits of `path`. */
export async function fileMode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}
