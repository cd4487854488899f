const htmlEntities: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes `& < > " '` as HTML entities, so `value` is safe in element text and in quoted attribute
 * values. Use it for every customer- or store-supplied string a custom email template puts in HTML.
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => htmlEntities[char] ?? char);
}

/**
 * @internal `value` on one line: every control character (CR, LF, tab, …) and Unicode line or
 * paragraph separator becomes a space, runs of whitespace collapse to one, and the ends are trimmed.
 * Keeps store-supplied text from injecting mail headers or breaking a line-oriented layout.
 */
export function singleLine(value: string): string {
  return (
    value
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
      .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
  );
}
