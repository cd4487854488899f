import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLicenseFileLines } from '../../src/adapters/node/license-file-lines.js';
import { isLicenseKitError } from '../../src/index.js';
import { jsonFileLicenseStore } from '../../src/node.js';
import { licenseFixture } from '../../src/testing.js';
import { TempDirs } from '../helpers/temp-dir.js';

/**
 * `readLicenseFileLines` reads licenses.json line by line only when the document is nothing but
 * the store's head, one JSON value per line and the footer, and gives each line's exact bytes.
 */

const head = (generation: string | number = 7) =>
  `{"format":"licensekit-licenses","version":1,"generation":${generation},"licenses":[\n`;
const footer = '\n]}\n';
const read = (text: string) => readLicenseFileLines(Buffer.from(text), text);
/** Each line's bytes, as text. */
const lineTexts = (text: string) => {
  const lines = read(text)!;
  return lines.starts.map((start, i) => lines.bytes.subarray(start, lines.ends[i]).toString());
};

describe('readLicenseFileLines', () => {
  it('reads the store’s layout: the generation, each value, each line’s bytes without its comma', () => {
    const values = [{ key: 'A', name: 'Zoë 😀' }, { key: 'B', name: '李雷' }, { key: 'C' }];
    const lines = values.map((v) => JSON.stringify(v));
    const text = `${head()}${lines.join(',\n')}${footer}`;
    expect(read(text)).toMatchObject({ generation: 7, values });
    expect(lineTexts(text)).toEqual(lines);
  });

  it('keeps spaces around a value as part of its line', () => {
    const text = `${head()} {"key":"A"} ,\n\t{"key":"B"}${footer}`;
    expect(read(text)?.values).toEqual([{ key: 'A' }, { key: 'B' }]);
    expect(lineTexts(text)).toEqual([' {"key":"A"} ', '\t{"key":"B"}']);
  });

  it('reads no licenses from either empty form', () => {
    expect(read(`${head()}${footer}`)).toMatchObject({ values: [], starts: [] });
    expect(read(`${head().slice(0, -1)}${footer}`)).toMatchObject({ values: [], starts: [] });
  });

  const others: [string, string][] = [
    [
      'pretty-printed',
      JSON.stringify({ format: 'licensekit-licenses', version: 1, generation: 1, licenses: [{}] }, null, 2),
    ],
    ['CRLF line breaks', `${head().replace('\n', '\r\n')}{"key":"A"},\r\n{"key":"B"}\r${footer}`],
    ['a last line ending in a comma', `${head()}{"key":"A"},${footer}`],
    ['a line without its comma', `${head()}{"key":"A"}\n{"key":"B"}${footer}`],
    ['a value over two lines', `${head()}{"key":\n"A"}${footer}`],
    ['two values on a line', `${head()}{"key":"A"},{"key":"B"}${footer}`],
    ['a member after the list', `${head()}{"key":"A"}],"x":[0${footer}`],
    ['an empty line', `${head()}{"key":"A"},\n,\n{"key":"B"}${footer}`],
    ['another version', `${head().replace('"version":1', '"version":2')}{"key":"A"}${footer}`],
    ['generation 0', `${head(0)}{"key":"A"}${footer}`],
    ['a generation past the safe integers', `${head(2 ** 53)}{"key":"A"}${footer}`],
    ['no final line break', `${head()}{"key":"A"}${footer.slice(0, -1)}`],
    ['a member before the list', `${head().replace('"licenses"', '"x":1,"licenses"')}{"key":"A"}${footer}`],
  ];
  for (const [name, text] of others) {
    it(`leaves ${name} to a whole-document parse (null)`, () => {
      expect(read(text)).toBeNull();
    });
  }
});

describe('the generation of licenses.json', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.removeAll());

  // -2 stands for a head the store does not recognise, 0 for no file: neither may be a file's.
  for (const generation of [-2, 0, 2 ** 53 - 1]) {
    it(`${generation}: refused with STORAGE_CORRUPT, the file untouched`, async () => {
      const path = join(await dirs.make('generation'), 'licenses.json');
      const text = `${head(generation)}${JSON.stringify(licenseFixture())}${footer}`;
      writeFileSync(path, text);
      const store = jsonFileLicenseStore({ path });
      const error = await store.get('LK-X').catch((e: unknown) => e);
      expect(isLicenseKitError(error, 'STORAGE_CORRUPT')).toBe(true);
      await store.close();
      expect(readFileSync(path, 'utf8')).toBe(text);
    });
  }
});
