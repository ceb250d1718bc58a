/** One measured row of the table. */
export interface Row {
  readonly op: 'send' | 'ask';
  readonly name: string;
  /** Mean time of one dispatch, in nanoseconds; undefined when the row did not run. */
  readonly ns: number | undefined;
  /** The row this one is divided by in the "÷ bare" column. */
  readonly bare?: string | undefined;
  /** The row this one is divided by in the "÷ Nest" column. */
  readonly nest?: string | undefined;
}

const ratio = (ns: number | undefined, of: number | undefined) =>
  ns === undefined || of === undefined ? '' : `${(ns / of).toFixed(2)}×`;

function nsOf(rows: readonly Row[], op: Row['op'], name: string | undefined): number | undefined {
  return name === undefined ? undefined : rows.find((r) => r.op === op && r.name === name)?.ns;
}

/** Lays the rows out as one plain-text table. */
export function formatTable(rows: readonly Row[]): string {
  const cells = rows.map((row) => [
    row.op,
    row.name,
    row.ns === undefined ? 'n/a' : row.ns.toFixed(1),
    ratio(row.ns, nsOf(rows, row.op, row.bare)),
    ratio(row.ns, nsOf(rows, row.op, row.nest)),
  ]);
  const header = ['op', 'case', 'ns/op', '÷ bare', '÷ Nest'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) =>
    c.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const lines = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  cells.forEach((c, i) => {
    if (i > 0 && rows[i]!.op !== rows[i - 1]!.op) lines.push('');
    lines.push(line(c));
  });
  return lines.join('\n');
}

/** The worst of each ratio over the rows that have one. */
export function worst(rows: readonly Row[], column: 'bare' | 'nest'): { row: Row; ratio: number } | undefined {
  let found: { row: Row; ratio: number } | undefined;
  for (const row of rows) {
    const of = nsOf(rows, row.op, row[column]);
    if (row.ns === undefined || of === undefined) continue;
    const r = row.ns / of;
    if (found === undefined || r > found.ratio) found = { row, ratio: r };
  }
  return found;
}
