/**
 * Compares strings by Unicode code point, as SQLite (BINARY) and PostgreSQL (COLLATE "C") compare UTF-8: the order
 * every store gives text it sorts on, where JavaScript's `<` (by UTF-16 unit) puts U+10000 and above before U+E000.
 *
 * @example
 * ['\u{1F600}', '\uFFFD'].sort(compareText); // ['\uFFFD', '\u{1F600}']
 */
export function compareText(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
