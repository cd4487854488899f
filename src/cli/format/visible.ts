/** C0 controls, DEL and C1 controls: what a terminal may act on instead of showing. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * `text` made safe to write to a terminal: every C0/C1 control character (and DEL) is replaced by
 * its visible `\xHH` escape, so ESC shows as `\x1b`, a newline as `\x0a`, a tab as `\x09`. Data a
 * buyer or an app chose (customer and device names, hardware ids, keys in legacy files) can then
 * neither drive the operator's terminal (colours, title, clear screen, clipboard via OSC 52) nor
 * fake output lines. Everything else, backslashes included, is left as it is, so applying it
 * twice changes nothing. `print`, `note` and the error line apply it to everything they write;
 * `table` applies it to its cells first, so column widths count what is shown. JSON output is left
 * to `JSON.stringify`'s own escaping: it is data for a program, and must stay exact.
 */
export function visible(text: string): string {
  return text.replace(controlCharacters, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
