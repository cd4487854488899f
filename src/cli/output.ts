import { visible } from './format/visible.js';

/** Writes to stdout, waiting when the pipe is full, so long outputs stream with flat memory. */
export async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) {
    await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
}

/** Writes lines to stdout, control characters made {@link visible}. */
export function print(...lines: string[]): Promise<void> {
  return write(lines.map((line) => `${visible(line)}\n`).join(''));
}

/** Writes `value` as indented JSON to stdout. */
export function printJson(value: unknown): Promise<void> {
  return write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Streams `items` to stdout as one JSON array, one item at a time. */
export async function printJsonArray<T>(items: AsyncIterable<T>): Promise<number> {
  let count = 0;
  for await (const item of items) {
    await write(`${count === 0 ? '[\n' : ',\n'}  ${JSON.stringify(item)}`);
    count++;
  }
  await write(count === 0 ? '[]\n' : '\n]\n');
  return count;
}

/** Writes a line to stderr (notes and warnings, never data), control characters made {@link visible}. */
export function note(line: string): void {
  process.stderr.write(`${visible(line)}\n`);
}

/** A one-line progress indicator on stderr, shown only when stderr is a terminal. */
export interface Progress {
  update(text: string): void;
  /** Clears the line. */
  done(): void;
}

/** A {@link Progress} that redraws at most every 100 ms; silent when stderr is not a TTY. */
export function progress(): Progress {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let shown = false;
  return {
    update(text) {
      const now = Date.now();
      if (!tty || now - last < 100) return;
      last = now;
      shown = true;
      process.stderr.write(`\r${text}\u001b[K`);
    },
    done() {
      if (shown) process.stderr.write('\r\u001b[K');
      shown = false;
    },
  };
}

/** The terminal width for charts: stdout's columns, else `COLUMNS`, else 80. */
export function terminalWidth(): number {
  const columns = process.stdout.columns ?? Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : 80;
}
