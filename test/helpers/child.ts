import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The package root: children run with it as their working directory. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The path of a child script in `test/fixtures/children`. */
export function childScript(name: string): string {
  return fileURLToPath(new URL(`../fixtures/children/${name}`, import.meta.url));
}

/** How a child ended: its exit code or the signal that killed it, and what it wrote to stderr. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Options of {@link spawnChild}. */
export interface SpawnChildOptions {
  /** Run through `bash -c` with this prefix before `exec node ...`, e.g. `ulimit -f 64;`. */
  shellPrefix?: string;
  /** Run node through this command, e.g. `['unshare', '--pid', '--fork', '--mount-proc']`. */
  launcher?: readonly string[];
}

/**
 * A TypeScript child process (`node --import tsx <script> ...args`) whose stdout is read line by
 * line. Only newline-terminated lines count: a line cut off by a kill is not a line.
 */
export class Child {
  readonly process: ChildProcess;
  readonly lines: string[] = [];
  /** Resolves once the child has exited and its stdout and stderr are drained. */
  readonly closed: Promise<ChildExit>;
  #pending = '';
  #stderr = '';
  #waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  constructor(script: string, args: readonly string[], options: SpawnChildOptions = {}) {
    const nodeArgs = ['--import', 'tsx', childScript(script), ...args];
    const [command, ...args0] = [...(options.launcher ?? []), process.execPath, ...nodeArgs];
    this.process = options.shellPrefix
      ? spawn('bash', ['-c', `${options.shellPrefix} exec "$0" "$@"`, command!, ...args0], {
          cwd: repoRoot,
          stdio: ['pipe', 'pipe', 'pipe'],
        })
      : spawn(command!, args0, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.#onStdout(chunk));
    this.process.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
    this.process.stdin!.on('error', () => undefined);
    this.closed = new Promise((resolve, reject) => {
      this.process.on('error', reject);
      this.process.on('close', (code, signal) => resolve({ code, signal, stderr: this.#stderr }));
    });
  }

  get pid(): number {
    return this.process.pid!;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** The first line (already read or still to come) that `match` accepts; rejects if the child ends first. */
  waitForLine(match: (line: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const seen = this.lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`child ${this.pid}: no matching line after ${timeoutMs} ms\n${this.#stderr}`)),
        timeoutMs,
      );
      this.#waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      this.closed.then((exit) => {
        clearTimeout(timer);
        reject(new Error(`child ${this.pid} ended (${exit.code ?? exit.signal}) first\n${exit.stderr}`));
      }, reject);
    });
  }

  /** Sends one line to the child's stdin. */
  send(line: string): void {
    this.process.stdin!.write(`${line}\n`);
  }

  /** SIGKILLs the child and waits until it is gone (so its pid no longer exists). */
  async kill(): Promise<ChildExit> {
    this.process.kill('SIGKILL');
    return this.closed;
  }

  #onStdout(chunk: string): void {
    this.#pending += chunk;
    let end = this.#pending.indexOf('\n');
    while (end !== -1) {
      const line = this.#pending.slice(0, end);
      this.#pending = this.#pending.slice(end + 1);
      this.lines.push(line);
      for (const waiter of this.#waiters.filter((w) => w.match(line))) waiter.resolve(line);
      this.#waiters = this.#waiters.filter((w) => !w.match(line));
      end = this.#pending.indexOf('\n');
    }
  }
}

/** Starts `test/fixtures/children/<script>` with `args`. */
export function spawnChild(script: string, args: readonly string[], options?: SpawnChildOptions): Child {
  return new Child(script, args, options);
}

/** Waits for a child to end on its own and fails loudly if it did not exit with code 0. */
export async function expectCleanExit(child: Child): Promise<ChildExit> {
  const exit = await child.closed;
  if (exit.code !== 0) {
    throw new Error(`child ${child.pid} exited with ${exit.code ?? exit.signal}\n${exit.stderr}`);
  }
  return exit;
}
