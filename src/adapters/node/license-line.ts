import type { Device, License } from '../../domain/license.js';
import { keepsAllButTelemetry } from '../../ports/license-changes.js';

/** The JSON text of a line around its telemetry, as {@link LicenseLine} writes it. */
interface LineParts {
  /** `{"key":…,"devices":[`: everything before the first device. */
  head: string;
  /** Each device up to and including `"lastSeenAt":`. */
  devices: readonly string[];
  /** `,"purchaseSource":…}`: everything after `validationCount`. */
  tail: string;
}

/**
 * One license as one line of JSON. A line the store writes has the fields in the schema's order and
 * keeps the JSON text around the validation telemetry (`devices[].lastSeenAt`, `lastValidatedAt`,
 * `validationCount`), so the line of a telemetry-only change is made by concatenation instead of
 * serializing the license. A line read from a file keeps the bytes it was read from instead, until
 * its license changes.
 */
export class LicenseLine {
  /** The license the line holds. */
  readonly license: License;
  /** The parts around the telemetry of a written line, or the bytes of a line read from a file. */
  readonly #content: LineParts | Buffer;

  private constructor(license: License, content: LineParts | Buffer) {
    this.license = license;
    this.#content = content;
  }

  /**
   * The license as JSON, without a line break: built on each call from the parts of a written line,
   * which keeps no whole text (so a flush leaves nothing behind on the heap but the new lines), or
   * decoded from the bytes of a read one (a view of the file as read, which stays in memory while
   * any of its lines does).
   */
  text(): string {
    const parts = this.#content;
    if (Buffer.isBuffer(parts)) return parts.toString('utf8');
    const license = this.license;
    let text = parts.head;
    for (let i = 0; i < parts.devices.length; i++) {
      text += `${i > 0 ? ',' : ''}${parts.devices[i]}${json(license.devices[i]!.lastSeenAt)}}`;
    }
    return `${text}],"lastValidatedAt":${json(license.lastValidatedAt)},"validationCount":${json(license.validationCount)}${parts.tail}`;
  }

  /**
   * The line of `license`, given `previous`, the line of an earlier version of it: `previous` itself
   * when nothing changed, sharing its parts when only telemetry changed (unless `previous` was read
   * from a file: it has no parts), else written afresh.
   * A license must not change once a line is made from it: callers reuse the bytes of a line they
   * got back as `previous`.
   */
  static of(license: License, previous?: LicenseLine): LicenseLine {
    if (previous === undefined || !sameButTelemetry(previous.license, license)) {
      return LicenseLine.#write(license);
    }
    if (sameTelemetry(previous.license, license)) return previous;
    const parts = previous.#content;
    return Buffer.isBuffer(parts) ? LicenseLine.#write(license) : new LicenseLine(license, parts);
  }

  /**
   * The line of `license` as a file holds it: `bytes`, UTF-8 JSON that the caller parsed on its own
   * into exactly `license` (any valid JSON of it: the bytes are written again as they are).
   */
  static read(license: License, bytes: Buffer): LicenseLine {
    return new LicenseLine(license, bytes);
  }

  /** A line with parts of its own. */
  static #write(license: License): LicenseLine {
    return new LicenseLine(license, {
      head: writeHead(license),
      devices: license.devices.map(writeDevice),
      tail: writeTail(license),
    });
  }
}

/** A value's JSON text, exactly as `JSON.stringify` writes it inside the whole license. */
const json: (value: string | number | null) => string = JSON.stringify;

/** The keys of `T` whose values are strings, numbers or null. */
type ScalarKey<T> = { [K in keyof T]: T[K] extends string | number | null ? K : never }[keyof T] & string;

/**
 * A writer of the fields `names` of a record as JSON members in that order, between `open` and
 * `close`, as one flat string: cached parts take no more memory than their text.
 */
function membersWriter<T>(
  open: string,
  names: readonly ScalarKey<T>[],
  close: string,
): (record: T) => string {
  const keys = names.map((name, i) => `${i === 0 ? open : ','}"${name}":`);
  return (record) => {
    const parts: string[] = [];
    for (let i = 0; i < names.length; i++) {
      parts.push(keys[i]!, json(record[names[i]!] as string | number | null));
    }
    parts.push(close);
    return parts.join('');
  };
}

// The schema's field order (`License` in src/domain/license.ts), cut around the telemetry.
const writeHead = membersWriter<License>(
  '{',
  [
    'key',
    'productId',
    'email',
    'customerName',
    'createdAt',
    'expiresAt',
    'status',
    'statusReason',
    'maxDevices',
  ],
  ',"devices":[',
);
const writeDevice = membersWriter<Device>('{', ['hardwareId', 'deviceName', 'activatedAt'], ',"lastSeenAt":');
const writeTail = membersWriter<License>(
  ',',
  ['purchaseSource', 'purchaseId', 'subscriptionId', 'deliveredAt'],
  '}',
);

/** Whether `next` differs from `current` at most in telemetry, checking the key and sale too. */
function sameButTelemetry(current: License, next: License): boolean {
  return (
    current.key === next.key &&
    current.purchaseSource === next.purchaseSource &&
    current.purchaseId === next.purchaseId &&
    keepsAllButTelemetry(current, next)
  );
}

/** Whether two versions of a license, with as many devices, have the same telemetry. */
function sameTelemetry(current: License, next: License): boolean {
  if (current.lastValidatedAt !== next.lastValidatedAt || current.validationCount !== next.validationCount) {
    return false;
  }
  return current.devices.every((device, i) => device.lastSeenAt === next.devices[i]!.lastSeenAt);
}
