#!/usr/bin/env node
/**
 * `licensekit`: the operator CLI. Finds the command (the first positional argument), hands it the
 * rest, and turns failures into one line on stderr and an exit code: 0 done, 1 refused, 2 usage.
 */
import { readFile } from 'node:fs/promises';
import { isLicenseKitError } from '../index.js';
import {
  type Command,
  errorText,
  exitCode,
  RefusedError,
  splitFirstPositional,
  UsageError,
} from './command.js';
import { demoCommand } from './commands/demo.js';
import { exportCsvCommand } from './commands/export-csv.js';
import { importLegacyCommand } from './commands/import-legacy.js';
import { licenseCommand } from './commands/license.js';
import { purchasesCommand } from './commands/purchases.js';
import { statsCommand } from './commands/stats.js';
import { validateCommand } from './commands/validate.js';
import { lockTimeoutMs } from './data.js';
import { visible } from './format/visible.js';

const commands: readonly Command[] = [
  statsCommand,
  purchasesCommand,
  exportCsvCommand,
  licenseCommand,
  validateCommand,
  importLegacyCommand,
  demoCommand,
];

const overview = `Usage: licensekit <command> [options]

Operate licenses and read the books of a licensekit data directory (licenses.json +
purchases.jsonl), safely while the server runs: every read and change goes through the same
locked storage, and every change is audited with actor "cli".

Commands:
${commands.map((command) => `  ${command.name.padEnd(16)}${command.summary}`).join('\n')}

Options for every command:
  --data DIR   data directory (default ./data, or the LICENSEKIT_DATA environment variable)
  --json       machine-readable output (read commands and license changes)
  --help, -h   help for a command, with an example
  --debug      print stack traces on errors

Exit codes: 0 done, 1 refused (e.g. no such license, lines skipped), 2 usage error.

Example:
  licensekit stats --data /srv/shop/data --since 30d`;

/** Runs the CLI on `argv` (without `node` and the script) and resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const debug = argv.includes('--debug');
  let help = 'licensekit --help';
  try {
    const { name, rest } = splitFirstPositional(argv);
    if (name === undefined) {
      if (argv.includes('--version') || argv.includes('-v')) return say(await packageVersion());
      if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) return say(overview);
      throw new UsageError('no command given');
    }
    const command = commands.find((candidate) => candidate.name === name);
    if (command === undefined) throw new UsageError(`unknown command "${name}"`);
    help = `licensekit ${name} --help`;
    if (rest.includes('--help') || rest.includes('-h')) return say(command.help);
    return await command.run(rest);
  } catch (error) {
    return fail(error, debug, help);
  }
}

function say(text: string): number {
  process.stdout.write(`${text}\n`);
  return exitCode.ok;
}

/** One line on stderr naming what to fix (a stack trace too with `--debug`), and the exit code. */
function fail(error: unknown, debug: boolean, help: string): number {
  const usage = error instanceof UsageError;
  const known = usage || error instanceof RefusedError || isLicenseKitError(error);
  const busy = isLicenseKitError(error, 'STORAGE_LOCK_TIMEOUT');
  const hint = usage
    ? ` (see ${help})`
    : busy
      ? `: the data directory stayed busy for ${lockTimeoutMs / 1000} s; run the command again`
      : debug || known
        ? ''
        : ' (run again with --debug for details)';
  process.stderr.write(
    `licensekit: ${known ? '' : 'unexpected error: '}${visible(errorText(error))}${hint}\n`,
  );
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return usage ? exitCode.usage : exitCode.refused;
}

/** The version in the package.json next to this file's package (src/ or dist/). */
async function packageVersion(): Promise<string> {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg: unknown = JSON.parse(await readFile(new URL(path, import.meta.url), 'utf8'));
      const { name, version } = (pkg ?? {}) as { name?: unknown; version?: unknown };
      if (name === 'licensekit' && typeof version === 'string') return version;
    } catch {
      // not this one
    }
  }
  return 'unknown';
}

// A reader that goes away (`licensekit purchases | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(exitCode.ok);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
