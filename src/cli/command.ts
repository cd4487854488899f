import { type ParseArgsConfig, parseArgs } from 'node:util';
import { isLicenseKitError } from '../index.js';

/** Exit codes: 0 done, 1 refused (the operation could not be done), 2 usage (the command line is wrong). */
export const exitCode = { ok: 0, refused: 1, usage: 2 } as const;

/** The command line is wrong (unknown option, missing argument, bad value): exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The operation could not be done (no such license, the file exists, lines were skipped): exit 1. */
export class RefusedError extends Error {
  override name = 'RefusedError';
}

/** One `licensekit` command: its help text (with an example) and what it does. */
export interface Command {
  name: string;
  /** One line for `licensekit --help`. */
  summary: string;
  /** The full `--help` text, ending with at least one example. */
  help: string;
  /** Runs the command on the arguments after its name; resolves to the exit code. */
  run(args: readonly string[]): Promise<number>;
}

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. `--debug` (stack traces) is handled by `main`. */
export const commonOptions = {
  help: { type: 'boolean', short: 'h' },
  debug: { type: 'boolean' },
} as const satisfies OptionSpecs;

/** `--data DIR` and `--json`, for the commands that read or change a data directory. */
export const dataOptions = {
  data: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies OptionSpecs;

/**
 * The first positional argument (a command's name, or `license`'s action), which the options every
 * command takes (`--data DIR`, `--json`) may precede, and every other argument.
 */
export function splitFirstPositional(argv: readonly string[]): { name: string | undefined; rest: string[] } {
  const { tokens } = parseArgs({
    args: [...argv],
    options: { data: { type: 'string' } },
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const first = tokens.find((token) => token.kind === 'positional');
  if (first === undefined) return { name: undefined, rest: [...argv] };
  return { name: first.value, rest: argv.filter((_, index) => index !== first.index) };
}

/** True when the arguments ask for help, wherever `--help`/`-h` appears. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/**
 * Parses a command's arguments strictly with `util.parseArgs` (plus {@link commonOptions}); any
 * problem is a {@link UsageError} that names the command.
 */
export function parseCommand<const O extends OptionSpecs>(
  command: string,
  args: readonly string[],
  options: O,
) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...commonOptions, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${command}: ${parseArgsProblem(error)}`);
  }
}

/** `util.parseArgs`'s complaint, shortened to what to fix. */
function parseArgsProblem(error: unknown): string {
  const text = errorText(error);
  const option = /'(--?[^' ]+)/.exec(text)?.[1];
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    if (/argument missing/.test(text)) return `${option} needs a value`;
    // parseArgs reads a value starting with "-" as an option; Node's message says so.
    return /ambiguous/.test(text)
      ? `${option}: a value starting with "-" goes as ${option}=VALUE`
      : `${option} takes no value`;
  }
  return text;
}

/** Refuses positionals beyond `max`, naming the first extra one. */
export function expectPositionals(command: string, positionals: readonly string[], max: number): void {
  if (positionals.length > max) throw new UsageError(`${command}: unexpected argument "${positionals[max]}"`);
}

/**
 * An error's message without licensekit's `[licensekit] ` prefix, on one line, with the issues of a
 * `LicenseKitError` that has them (which field, and what is wrong with it).
 */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const issues = isLicenseKitError(error)
    ? error.issues.map(({ path, message }) => `${path}: ${message}`)
    : [];
  const detail = issues.length > 0 ? ` (${issues.join('; ')})` : '';
  return `${text}${detail}`.replace(/^\[licensekit\] /, '').replace(/\s*\n\s*/g, ' ');
}
