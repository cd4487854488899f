import type { Device, License } from '../../domain/license.js';
import { keepsAllButTelemetry } from '../../ports/license-changes.js';

/** A line to write into a chunk: a line as it is, or a telemetry change of one (see `LicenseLine.of`). */
export type LineToWrite = LicenseLine | TelemetryChange;

/**
 * One license as one line of JSON, in UTF-8 bytes: a run of a chunk of licenses.json as written, of
 * the file as read, or of a buffer of its own. In a line this store serialized, where the telemetry
 * values stand (`devices[].lastSeenAt`, `lastValidatedAt`, `validationCount`) is looked up once, the
 * first time they change, so the line of a telemetry-only change is the earlier line's bytes with
 * those values replaced: nothing is serialized, and a chunk of such lines is written by copying.
 */
export class LicenseLine {
  /** The license the line holds. */
  readonly license: License;
  /** The line's length in bytes. */
  readonly length: number;
  /** The bytes the line is in, from `#start`. */
  readonly #source: Buffer;
  readonly #start: number;
  /**
   * Where the telemetry values are in the line: `[start, end]` of each, relative to the line's start,
   * devices' first, then `lastValidatedAt` and `validationCount`. `undefined` in a line this store
   * serialized until looked up; `null` when they are not known: in a line read from a file, which
   * may spell its members in ways a search would miss (a member twice, once as
   * `"validationCount" :`). Its license is then serialized afresh when they change.
   */
  #places: readonly number[] | null | undefined;

  private constructor(
    license: License,
    source: Buffer,
    start: number,
    length: number,
    places: readonly number[] | null | undefined,
  ) {
    this.license = license;
    this.#source = source;
    this.#start = start;
    this.length = length;
    this.#places = places;
  }

  /** Copies the line into `target` at `at` (`length` bytes) and returns it as the line there. */
  writeTo(target: Buffer, at: number): LicenseLine {
    target.set(this.#source.subarray(this.#start, this.#start + this.length), at);
    return new LicenseLine(this.license, target, at, this.length, this.#places);
  }

  /**
   * Writes the line with other telemetry values (`values`, JSON text in the order of `places`, this
   * line's) as the line of `license` into `target` at `at`, and returns it as the line there.
   */
  writeChanged(license: License, values: readonly string[], target: Buffer, at: number): LicenseLine {
    const places = this.#places!;
    const source = this.#source;
    const start = this.#start;
    if (values.every((value, k) => value.length === places[2 * k + 1]! - places[2 * k]!)) {
      // Every value as long as the one it replaces (the usual case): the places stay as they are.
      target.set(source.subarray(start, start + this.length), at);
      for (let k = 0; k < values.length; k++) writeAscii(target, at + places[2 * k]!, values[k]!);
      return new LicenseLine(license, target, at, this.length, places);
    }
    const moved: number[] = [];
    let from = 0;
    let to = at;
    for (let k = 0; k < values.length; k++) {
      const place = places[2 * k]!;
      target.set(source.subarray(start + from, start + place), to);
      to += place - from;
      moved.push(to - at, to - at + values[k]!.length);
      to = writeAscii(target, to, values[k]!);
      from = places[2 * k + 1]!;
    }
    target.set(source.subarray(start + from, start + this.length), to);
    const length = to + this.length - from - at;
    return new LicenseLine(license, target, at, length, moved);
  }

  /**
   * What to write for `license`, given `previous`, the line of an earlier version of it: `previous`
   * itself when nothing changed, a {@link TelemetryChange} of it when only telemetry changed (and
   * this store serialized `previous`), else a line serialized afresh.
   * A license must not change once a line is made from it: callers reuse the bytes of a line they
   * got back as `previous`.
   */
  static of(license: License, previous?: LicenseLine): LineToWrite {
    if (previous === undefined || !sameButTelemetry(previous.license, license)) {
      return LicenseLine.#write(license);
    }
    if (sameTelemetry(previous.license, license)) return previous;
    const places = previous.#findPlaces();
    if (places === null) return LicenseLine.#write(license);
    return new TelemetryChange(license, previous, places, telemetryValues(license));
  }

  /**
   * The line of `license` as a file holds it: the bytes of `source` from `start` to `end`, UTF-8 JSON
   * that the caller parsed on its own into exactly `license` (any valid JSON of it: the bytes are
   * written again as they are).
   */
  static read(license: License, source: Buffer, start: number, end: number): LicenseLine {
    return new LicenseLine(license, source, start, end - start, null);
  }

  /** A line of its own: the license serialized in the schema's field order. */
  static #write(license: License): LicenseLine {
    const bytes = Buffer.from(
      `${writeHead(license)}${license.devices.map(writeDevice).join(',')}${writeTail(license)}`,
    );
    return new LicenseLine(license, bytes, 0, bytes.length, undefined);
  }

  /** {@link LicenseLine.#places}, looked up in the bytes on first use. */
  #findPlaces(): readonly number[] | null {
    if (this.#places === undefined) {
      // One byte a character: the places found in the text are the bytes' own.
      const text = this.#source.toString('latin1', this.#start, this.#start + this.length);
      this.#places = placesIn(text, this.license);
    }
    return this.#places;
  }
}

/** A line with other telemetry values than the written line it is made from, not written yet. */
export class TelemetryChange {
  readonly license: License;
  /** Its length in bytes, once written. */
  readonly length: number;
  readonly #line: LicenseLine;
  readonly #values: readonly string[];

  constructor(license: License, line: LicenseLine, places: readonly number[], values: readonly string[]) {
    this.license = license;
    this.#line = line;
    this.#values = values;
    let length = line.length;
    for (let k = 0; k < values.length; k++)
      length += values[k]!.length - (places[2 * k + 1]! - places[2 * k]!);
    this.length = length;
  }

  /** Writes the changed line into `target` at `at` (`length` bytes) and returns it as the line there. */
  writeTo(target: Buffer, at: number): LicenseLine {
    return this.#line.writeChanged(this.license, this.#values, target, at);
  }
}

/** A value's JSON text, exactly as `JSON.stringify` writes it inside the whole license. */
const json: (value: string | number | null) => string = JSON.stringify;

/** The telemetry values of a license as JSON text, in the order of a line's places. */
function telemetryValues(license: License): string[] {
  const values = license.devices.map((device) => json(device.lastSeenAt));
  values.push(json(license.lastValidatedAt), json(license.validationCount));
  return values;
}

/**
 * Where `license`'s telemetry values are in `text`, a line this store serialized (members in the
 * schema's order, each once, spelled as `JSON.stringify` spells them): each member found after the
 * one before. In valid JSON, `"name":` can only end a member name (a quote inside a string is
 * escaped), and the license and its devices have no members but the schema's. `null` when a value
 * is not where it should be, which a line serialized here never gives.
 */
function placesIn(text: string, license: License): number[] | null {
  const places: number[] = [];
  let at = 0;
  const find = (name: string, value: string | number | null): boolean => {
    const start = text.indexOf(name, at) + name.length;
    const written = json(value);
    if (start < name.length || !text.startsWith(written, start)) return false;
    at = start + written.length;
    places.push(start, at);
    return true;
  };
  for (const device of license.devices) if (!find('"lastSeenAt":', device.lastSeenAt)) return null;
  const found =
    find('"lastValidatedAt":', license.lastValidatedAt) &&
    find('"validationCount":', license.validationCount);
  return found ? places : null;
}

/**
 * Writes `text` into `target` at `at`; returns where it ends. For telemetry values only, which are
 * ASCII: timestamps match the ISO pattern and counts are integers, as the stores check.
 */
function writeAscii(target: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) target[at + i] = text.charCodeAt(i);
  return at + text.length;
}

/** The keys of `T` whose values are strings, numbers or null. */
type ScalarKey<T> = { [K in keyof T]: T[K] extends string | number | null ? K : never }[keyof T] & string;

/** A writer of the fields `names` of a record as JSON members in that order, between `open` and `close`. */
function membersWriter<T>(
  open: string,
  names: readonly ScalarKey<T>[],
  close: string,
): (record: T) => string {
  const keys = names.map((name, i) => `${i === 0 ? open : ','}"${name}":`);
  return (record) => {
    let text = '';
    for (let i = 0; i < names.length; i++)
      text += keys[i]! + json(record[names[i]!] as string | number | null);
    return text + close;
  };
}

// The schema's field order (`License` in src/domain/license.ts).
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
const writeDevice = membersWriter<Device>(
  '{',
  ['hardwareId', 'deviceName', 'activatedAt', 'lastSeenAt'],
  '}',
);
const writeTail = membersWriter<License>(
  '],',
  ['lastValidatedAt', 'validationCount', 'purchaseSource', 'purchaseId', 'subscriptionId', 'deliveredAt'],
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
