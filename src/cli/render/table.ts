/** Renders rows as a left-aligned table with a header; widths from the content. */
export function renderTable(header: string[], rows: string[][], colorize?: (col: number, cell: string) => string): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[], paint: boolean): string =>
    cells
      .map((c, i) => {
        const padded = c.padEnd(widths[i] ?? 0);
        return paint && colorize ? colorize(i, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(header, false), ...rows.map((r) => line(r, true))].join('\n');
}
