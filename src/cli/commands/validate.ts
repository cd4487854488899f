import { maxTermDays } from '../../domain/plan.js';
import { LicenseManager } from '../../index.js';
import { type Command, dataOptions, parseCommand, UsageError } from '../command.js';
import { dataDirOf, withData } from '../data.js';
import { expiryText, statusText } from '../format/license-view.js';
import { parseWholeNumber } from '../options.js';
import { print, printJson } from '../output.js';

const options = {
  ...dataOptions,
  device: { type: 'string' },
  'device-name': { type: 'string' },
  product: { type: 'string' },
  'grace-days': { type: 'string' },
} as const;

/** The longest `--device`, `--device-name` or `--product` a validation takes (once trimmed). */
const maxField = 256;

/** `licensekit validate KEY`: the same check the app's validation makes, with the same effects. */
export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a key as the app would (binds --device to a free seat)',
  help: `Usage: licensekit validate KEY [--device ID] [--device-name NAME] [--product P]

Runs LicenseManager.validate, as the app's own check does: the answer is a code (VALID,
GRACE_PERIOD, MALFORMED_KEY, NOT_FOUND, PRODUCT_MISMATCH, REVOKED, SUSPENDED, EXPIRED,
DEVICE_LIMIT_REACHED) and, like the app's check, it counts as a validation and binds a new
--device to a free seat. To look without touching anything, use licensekit license show.
The CLI does not know your server's plans: give the product's grace with --grace-days, or a
license in its grace period shows EXPIRED.
Exits 0 when the license is valid (VALID or GRACE_PERIOD), 1 when it is not.

Options:
  --device ID          the machine's hardware id
  --device-name NAME   a name for that machine when it takes a seat
  --product P          the product the key must belong to
  --grace-days N       the days after expiry the key still passes (your plan's graceDays; default 0)
  --data DIR           data directory (default ./data, or LICENSEKIT_DATA)
  --json               the validation result as JSON

Example:
  licensekit validate 7K3QF-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX --device ada-laptop --product image-weaver`,
  async run(args) {
    const { values, positionals } = parseCommand('validate', args, options);
    const [key, extra] = positionals;
    if (key === undefined) throw new UsageError('validate: name the key (validate KEY)');
    if (extra !== undefined) throw new UsageError(`validate: unexpected argument "${extra}"`);
    if (values.device?.trim() === '') throw new UsageError('validate: --device needs a hardware id');
    for (const name of ['device', 'device-name', 'product'] as const) {
      if ((values[name]?.trim().length ?? 0) > maxField) {
        throw new UsageError(`validate: --${name} is over ${maxField} characters`);
      }
    }
    const graceDays =
      values['grace-days'] === undefined ? 0 : parseWholeNumber('grace-days', values['grace-days'], 0);
    if (graceDays > maxTermDays) throw new UsageError(`validate: --grace-days is over ${maxTermDays} days`);
    return withData(dataDirOf(values), async ({ storage }) => {
      // The plan only gives the grace: a validation reads nothing else of it.
      const manager = new LicenseManager({
        storage,
        plans: () => ({ durationDays: null, maxDevices: 1, graceDays }),
      });
      const result = await manager.validate(key, {
        hardwareId: values.device,
        deviceName: values['device-name'],
        productId: values.product,
      });
      if (values.json === true) {
        await printJson(result);
      } else {
        const lines = [`${result.code}: ${result.detail}`];
        const { license, device } = result;
        if (license !== null) {
          lines.push(
            `  license  ${license.key}, ${statusText(license)}, product ${license.productId}`,
            `  expires  ${expiryText(license)}`,
            `  seats    ${license.devices.length} of ${license.maxDevices} in use`,
          );
        }
        if (device !== null) lines.push(`  device   ${device.hardwareId}, since ${device.activatedAt}`);
        await print(...lines);
      }
      return result.valid ? 0 : 1;
    });
  },
};
