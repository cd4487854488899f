import type { AuditRecord, LicenseStatus } from '../../index.js';
import {
  type Command,
  dataOptions,
  expectPositionals,
  parseCommand,
  splitFirstPositional,
  UsageError,
} from '../command.js';
import { dataDirOf, requireLicense, withData } from '../data.js';
import { expiryText, historyLine, licenseLines, statusText } from '../format/license-view.js';
import { plural, table } from '../format/table.js';
import { parseChoice } from '../options.js';
import { print, printJson, printJsonArray } from '../output.js';
import { happenedAt } from '../time-window.js';
import { licenseActions } from './license-actions.js';

const statuses: readonly LicenseStatus[] = ['active', 'suspended', 'revoked'];

/** `licensekit license <action>`: show, list and change licenses through the LicenseManager. */
export const licenseCommand: Command = {
  name: 'license',
  summary: 'show, list, revoke, suspend, reinstate, extend a license, or free a device',
  help: `Usage: licensekit license <action> [KEY] [options]

Actions:
  show KEY                          every field of the license and its history
  list [--email E] [--product P] [--status active|suspended|revoked]
${Object.values(licenseActions)
  .map((action) => `  ${action.usage.padEnd(34)}${action.summary}`)
  .join('\n')}

Keys match case-insensitively. Every change goes through the LicenseManager, so it is atomic,
safe while the server runs, and leaves an audit record with actor "cli".

Options:
  --data DIR   data directory (default ./data, or LICENSEKIT_DATA)
  --json       the license (show: { license, history }; list: an array) as JSON

Examples:
  licensekit license show 7K3QF-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX
  licensekit license revoke 7K3QF-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX --reason chargeback
  licensekit license extend 7K3QF-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX --days 30`,
  async run(args) {
    const { name: action, rest } = splitFirstPositional(args);
    if (action === 'show') return show(rest);
    if (action === 'list') return list(rest);
    const change =
      action !== undefined && Object.hasOwn(licenseActions, action) ? licenseActions[action] : undefined;
    if (change === undefined) {
      const known = ['show', 'list', ...Object.keys(licenseActions)].join(', ');
      throw new UsageError(
        `license: ${action === undefined ? 'name an action' : `unknown action "${action}"`}: ${known}`,
      );
    }
    return change.run(rest);
  },
};

async function show(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommand('license show', args, dataOptions);
  const [key] = positionals;
  if (key === undefined) throw new UsageError('license show: name the key (license show KEY)');
  expectPositionals('license show', positionals, 1);
  return withData(dataDirOf(values), async ({ manager }) => {
    const license = await requireLicense(manager, key);
    const history: AuditRecord[] = [];
    for await (const record of manager.audit.query({ licenseKey: license.key, includeTest: true })) {
      history.push(record);
    }
    // In the order things happened (a sale imported or delivered late was recorded after it occurred).
    history.sort((a, b) => Date.parse(happenedAt(a)) - Date.parse(happenedAt(b)));
    if (values.json === true) await printJson({ license, history });
    else await print(...licenseLines(license), '', 'History', ...history.map((r) => `  ${historyLine(r)}`));
    return 0;
  });
}

async function list(args: readonly string[]): Promise<number> {
  const listOptions = {
    ...dataOptions,
    email: { type: 'string' },
    product: { type: 'string' },
    status: { type: 'string' },
  } as const;
  const { values, positionals } = parseCommand('license list', args, listOptions);
  expectPositionals('license list', positionals, 0);
  const filter = {
    email: values.email,
    productId: values.product,
    status: values.status === undefined ? undefined : parseChoice('status', values.status, statuses),
  };
  return withData(dataDirOf(values), async ({ manager }) => {
    const licenses = manager.findLicenses(filter);
    if (values.json === true) {
      await printJsonArray(licenses);
      return 0;
    }
    const rows: string[][] = [];
    for await (const license of licenses) {
      rows.push([
        license.key,
        statusText(license),
        license.productId,
        license.email,
        expiryText(license, true),
        `${license.devices.length}/${license.maxDevices}`,
      ]);
    }
    if (rows.length === 0) return print('No licenses match.').then(() => 0);
    const columns = ['Key', 'Status', 'Product', 'Email', 'Expires', 'Seats'].map((header) => ({ header }));
    await print(...table(columns, rows), '', plural(rows.length, 'license'));
    return 0;
  });
}
