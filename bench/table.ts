// The bench's output: rows of up to four cells, printed as aligned columns section by section.
export const rows: string[][] = [];

export const row = (...cells: string[]): void => void rows.push(cells);

/** Prints the rows collected since the last call, each column as wide as its widest cell. */
export const print = (): void => {
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  for (const r of rows)
    console.log(
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  rows.length = 0;
};
