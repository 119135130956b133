/**
 * Records (a row's cells as the file holds them) mapped to canonical column names. A module of its
 * own with no imports, so the import workers load it without the XLSX reader.
 */

/**
 * A record's cells by canonical column name, trimmed ('' for a column the file lacks); null for a
 * blank record, which is not a row. One rule for every reader of records (table.ts's `rows`, the import
 * workers that parse `csvChunks`).
 */
export function mapRecord(
  cells: readonly string[],
  positions: ReadonlyArray<readonly [string, number]>,
  columnNames: readonly string[],
): Record<string, string> | null {
  const values: Record<string, string> = {};
  for (const name of columnNames) values[name] = '';
  let blank = true;
  for (const [name, index] of positions) {
    const text = (cells[index] ?? '').trim();
    if (text !== '') blank = false;
    values[name] = text;
  }
  if (blank && cells.every((cell) => cell.trim() === '')) return null;
  return values;
}
