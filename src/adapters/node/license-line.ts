import type { Device, License } from '../../domain/license.js';
import { keepsAllButTelemetry } from '../../ports/license-changes.js';

/**
 * One license as one line of JSON, in UTF-8 bytes: a run of a chunk of licenses.json as written, of
 * the file as read, or of a buffer of its own. Where its validation telemetry values stand in those
 * bytes (`devices[].lastSeenAt`, `lastValidatedAt`, `validationCount`) is looked up once, the first
 * time they change, so the line of a telemetry-only change is the earlier line's bytes with those
 * values replaced: nothing is serialized, and a chunk of such lines is written by copying bytes.
 */
export class LicenseLine {
  /** The license the line holds. */
  readonly license: License;
  /** The line's length in bytes. */
  readonly length: number;
  /** The bytes the line is in, from `#start`; for a line not written yet, those of `#base`. */
  readonly #source: Buffer;
  readonly #start: number;
  /**
   * For a line not written yet: the written line it is made from, with other telemetry values
   * (`#values`, JSON text in the order of `#places`). `null` once written.
   */
  readonly #base: LicenseLine | null;
  readonly #values: readonly string[] | null;
  /**
   * Where the telemetry values are in the line: `[start, end]` of each, relative to the line's start,
   * devices' first, then `lastValidatedAt` and `validationCount`. `undefined` until looked up; `null`
   * when the line is laid out otherwise (its license is then serialized afresh when they change).
   */
  #places: readonly number[] | null | undefined;

  private constructor(
    license: License,
    source: Buffer,
    start: number,
    length: number,
    places: readonly number[] | null | undefined,
    base: LicenseLine | null = null,
    values: readonly string[] | null = null,
  ) {
    this.license = license;
    this.#source = source;
    this.#start = start;
    this.length = length;
    this.#places = places;
    this.#base = base;
    this.#values = values;
  }

  /** The license as JSON, without a line break. */
  text(): string {
    if (this.#base === null) return this.#source.toString('utf8', this.#start, this.#start + this.length);
    return this.writeTo(Buffer.alloc(this.length), 0).text();
  }

  /**
   * Writes the line into `target` at `at` (`length` bytes) and returns it as the line there, whose
   * bytes later lines of the license are made from.
   */
  writeTo(target: Buffer, at: number): LicenseLine {
    const base = this.#base;
    if (base === null) {
      target.set(this.#source.subarray(this.#start, this.#start + this.length), at);
      return new LicenseLine(this.license, target, at, this.length, this.#places);
    }
    const places = base.#places!;
    const values = this.#values!;
    const source = base.#source;
    const start = base.#start;
    if (values.every((value, k) => value.length === places[2 * k + 1]! - places[2 * k]!)) {
      // Every value as long as the one it replaces (the usual case): the places stay as they are.
      target.set(source.subarray(start, start + base.length), at);
      for (let k = 0; k < values.length; k++) writeAscii(target, at + places[2 * k]!, values[k]!);
      return new LicenseLine(this.license, target, at, this.length, places);
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
    target.set(source.subarray(start + from, start + base.length), to);
    return new LicenseLine(this.license, target, at, this.length, moved);
  }

  /**
   * The line of `license`, given `previous`, the line of an earlier version of it: `previous` itself
   * when nothing changed, its bytes with the new values when only telemetry changed (and `previous`
   * is laid out so that they can be found), else serialized afresh.
   * A license must not change once a line is made from it: callers reuse the bytes of a line they
   * got back as `previous`.
   */
  static of(license: License, previous?: LicenseLine): LicenseLine {
    if (previous === undefined || !sameButTelemetry(previous.license, license)) {
      return LicenseLine.#write(license);
    }
    if (sameTelemetry(previous.license, license)) return previous;
    const base = previous.#base === null ? previous : previous.writeTo(Buffer.alloc(previous.length), 0);
    const places = base.#findPlaces();
    if (places === null) return LicenseLine.#write(license);
    const values = telemetryValues(license);
    let length = base.length;
    for (let k = 0; k < values.length; k++)
      length += values[k]!.length - (places[2 * k + 1]! - places[2 * k]!);
    return new LicenseLine(license, base.#source, base.#start, length, places, base, values);
  }

  /**
   * The line of `license` as a file holds it: the bytes of `source` from `start` to `end`, UTF-8 JSON
   * that the caller parsed on its own into exactly `license` (any valid JSON of it: the bytes are
   * written again as they are).
   */
  static read(license: License, source: Buffer, start: number, end: number): LicenseLine {
    return new LicenseLine(license, source, start, end - start, undefined);
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

/** A value's JSON text, exactly as `JSON.stringify` writes it inside the whole license. */
const json: (value: string | number | null) => string = JSON.stringify;

/** The telemetry values of a license as JSON text, in the order of a line's places. */
function telemetryValues(license: License): string[] {
  const values = license.devices.map((device) => json(device.lastSeenAt));
  values.push(json(license.lastValidatedAt), json(license.validationCount));
  return values;
}

/**
 * Where `license`'s telemetry values are in `text`, its line as JSON, or `null` when they are not
 * each the one member of its name, written as `JSON.stringify` writes it right after its `:` and
 * followed by `,` or `}`, in the order of the places. In valid JSON, `"name":` can only end a
 * member name (a quote inside a string is escaped, so the second quote closes one), and a license
 * and its devices have no members but the schema's: each search finds the member itself.
 */
function placesIn(text: string, license: License): number[] | null {
  const places: number[] = [];
  let at = 0;
  const find = (name: string, value: string | number | null): boolean => {
    const member = text.indexOf(name, at);
    const start = member + name.length;
    const written = json(value);
    const end = start + written.length;
    // The value, and nothing more of it (`7` is not all of `7.0`): the member ends right after.
    const next = text[end];
    if (member < 0 || !text.startsWith(written, start) || (next !== ',' && next !== '}')) return false;
    places.push(start, end);
    at = end;
    return true;
  };
  // Each search starts where the one before ended, and none of these names may come before the
  // places found or after them (a member twice, or out of order).
  const seen = '"lastSeenAt":';
  for (const device of license.devices) if (!find(seen, device.lastSeenAt)) return null;
  if (text.indexOf(seen, at) >= 0) return null;
  for (const [name, value] of [
    ['"lastValidatedAt":', license.lastValidatedAt],
    ['"validationCount":', license.validationCount],
  ] as const) {
    if (text.indexOf(name) !== text.indexOf(name, at) || !find(name, value)) return null;
    if (text.indexOf(name, at) >= 0) return null;
  }
  return places;
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
