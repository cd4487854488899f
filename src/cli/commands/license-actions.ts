import type { License, LicenseManager } from '../../index.js';
import { dataOptions, parseCommand, RefusedError, UsageError } from '../command.js';
import { cliActor, dataDirOf, requireLicense, withData } from '../data.js';
import { statusText } from '../format/license-view.js';
import { parseDateOption, parseWholeNumber } from '../options.js';
import { note, print, printJson } from '../output.js';

/** One change `licensekit license <action> KEY` makes. */
export interface LicenseAction {
  usage: string;
  summary: string;
  run(args: readonly string[]): Promise<number>;
}

type Values = Readonly<Record<string, string | boolean | undefined>>;

/** Nothing to do (`done` says why), or a change to apply and how to report its result. */
type Plan =
  | { done: string }
  | { apply: (manager: LicenseManager) => Promise<License>; report: (after: License) => string };

interface Change {
  /** Option specs beyond `--data`/`--json`. */
  options: Parameters<typeof parseCommand>[2];
  /**
   * Checks the options (a `UsageError` before any data is opened) and returns the planner: given
   * the current license, the change to make, or why there is nothing to do. The planner throws
   * `RefusedError` when the change cannot be made.
   */
  prepare(values: Values): (license: License) => Plan;
}

const reasonOption = { reason: { type: 'string' } } as const;

/** Builds an action that loads the license, applies the change with actor `cli` and reports it. */
function action(name: string, usage: string, summary: string, change: Change): LicenseAction {
  const command = `license ${name}`;
  return {
    usage,
    summary,
    async run(args) {
      const { values, positionals } = parseCommand(command, args, { ...dataOptions, ...change.options });
      const [key, extra] = positionals;
      if (key === undefined) throw new UsageError(`${command}: name the key (${usage})`);
      if (extra !== undefined) throw new UsageError(`${command}: unexpected argument "${extra}"`);
      const plan = change.prepare(values as Values);
      return withData(dataDirOf(values as { data?: string }), async ({ manager }) => {
        const license = await requireLicense(manager, key);
        const planned = plan(license);
        const after = 'apply' in planned ? await planned.apply(manager) : license;
        if (values.json !== true) await print('apply' in planned ? planned.report(after) : planned.done);
        else {
          await printJson(after);
          if ('done' in planned) note(planned.done);
        }
        return 0;
      });
    },
  };
}

/**
 * The date `--until` of `license extend` names: a date or timestamp to come. `30d` (days ago, as in
 * `--since`) and past dates are refused: moving an expiry back ends a license, which is `revoke`'s.
 */
function futureDate(value: string, now = new Date()): string {
  if (/^\d+d$/.test(value.trim())) {
    throw new UsageError(`license extend: --until takes a date, not "${value}"; for days, use --days`);
  }
  const until = parseDateOption('until', value, 'end', now);
  if (Date.parse(until) <= now.getTime()) {
    throw new UsageError(`license extend: --until ${value} is past; to end a license, revoke it`);
  }
  return until;
}

/** Revoke or suspend: a reason (default `manual`) and the status it sets. */
function block(verb: 'Revoked' | 'Suspended', to: 'revoked' | 'suspended'): Change['prepare'] {
  return (values) => {
    const reason = typeof values.reason === 'string' && values.reason !== '' ? values.reason : 'manual';
    return (license) => {
      if (license.status === to) return { done: `${license.key} is already ${statusText(license)}` };
      if (to === 'suspended' && license.status === 'revoked') {
        throw new RefusedError(`${license.key} is revoked; reinstate it before suspending it`);
      }
      return {
        apply: (manager) =>
          to === 'revoked'
            ? manager.revoke(license.key, reason, { actor: cliActor })
            : manager.suspend(license.key, reason, { actor: cliActor }),
        report: (after) => `${verb} ${after.key}: ${statusText(after)}`,
      };
    };
  };
}

/** The actions, by name. */
export const licenseActions: Readonly<Record<string, LicenseAction>> = {
  revoke: action('revoke', 'revoke KEY [--reason R]', 'revoke for good (default reason "manual")', {
    options: reasonOption,
    prepare: block('Revoked', 'revoked'),
  }),
  suspend: action('suspend', 'suspend KEY [--reason R]', 'block until reinstated (default reason "manual")', {
    options: reasonOption,
    prepare: block('Suspended', 'suspended'),
  }),
  reinstate: action('reinstate', 'reinstate KEY', 'make a suspended or revoked license active', {
    options: {},
    prepare: () => (license) =>
      license.status === 'active'
        ? { done: `${license.key} is already active` }
        : {
            apply: (manager) => manager.reinstate(license.key, { actor: cliActor }),
            report: (after) => `Reinstated ${after.key}: ${statusText(after)}`,
          },
  }),
  extend: action('extend', 'extend KEY --days N | --until D', 'move the expiry (days from now or expiry)', {
    options: { days: { type: 'string' }, until: { type: 'string' } },
    prepare: (values) => {
      const { days, until } = values as { days?: string; until?: string };
      if ((days === undefined) === (until === undefined)) {
        throw new UsageError('license extend: give either --days N or --until DATE');
      }
      const by =
        days !== undefined ? { days: parseWholeNumber('days', days) } : { until: futureDate(until!) };
      return (license) => {
        if ('days' in by && license.expiresAt === null) {
          return {
            done: `${license.key} never expires: there is nothing to extend (--until gives it an expiry)`,
          };
        }
        return {
          apply: (manager) => manager.extend(license.key, by, { actor: cliActor }),
          report: (after) =>
            `Extended ${after.key}: expires ${after.expiresAt} (was ${license.expiresAt ?? 'never'})`,
        };
      };
    },
  }),
  deactivate: action('deactivate', 'deactivate KEY --device ID', 'free the seat of one device', {
    options: { device: { type: 'string' } },
    prepare: (values) => {
      // Trimmed as stored device ids are, so an id pasted with a line break still matches.
      const device = typeof values.device === 'string' ? values.device.trim() : undefined;
      if (device === undefined || device === '') {
        throw new UsageError('license deactivate: name the device (--device ID)');
      }
      return (license) => {
        if (!license.devices.some((bound) => bound.hardwareId === device)) {
          const bound = license.devices.map((d) => d.hardwareId).join(', ') || 'none';
          throw new RefusedError(`${license.key} has no device "${device}" (bound: ${bound})`);
        }
        return {
          apply: (manager) => manager.deactivateDevice(license.key, device, { actor: cliActor }),
          report: (after) =>
            `Freed the seat of ${device} on ${after.key}: ${after.devices.length} of ${after.maxDevices} in use`,
        };
      };
    },
  }),
};
