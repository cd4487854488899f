import { type Command, dataOptions, expectPositionals, parseCommand } from '../command.js';
import { runDemo } from '../demo.js';

/** `licensekit demo`: the demo story in one process, in a temp directory of its own. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the demo story (sale, license email, two devices, refund, the books)',
  help: `Usage: licensekit demo

Runs the demo story in one process on embedded defaults: a Gumroad sale becomes a license (the
email is printed, not sent), the store retries, two devices try the one seat, a refund revokes
the key, and the books and the audit trail are printed. It uses a fresh temp directory and
removes it afterwards; --data is accepted, as by every command, but not used: your data is never
touched.

Example:
  licensekit demo`,
  async run(args) {
    const { positionals } = parseCommand('demo', args, { data: dataOptions.data });
    expectPositionals('demo', positionals, 0);
    await runDemo();
    return 0;
  },
};
