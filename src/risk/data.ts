/**
 * Reading a modelling table: any CSV (or XLSX) with a header row, through the platform's file reader
 * (`openTable`: size, binary and encoding checks, one `bad_file` for an unusable file), then raw
 * records by chunks so scoring a large file keeps memory flat. Cells are kept as text; which columns
 * are numeric is decided here from their values, with the usual spellings of "missing" set apart.
 */

import { csvChunks, normaliseHeader, openTable, parseCsvText } from '../files/table.ts';
import { HuikuanError } from '../shared/errors.ts';

/** Cell texts read as a missing value (compared lower-cased), besides the empty cell. */
export const missingTokens: ReadonlySet<string> = new Set([
  'na',
  'n/a',
  'nan',
  'null',
  'nil',
  '#n/a',
  'missing',
  '?',
  '-',
]);

export function isMissing(text: string): boolean {
  return text === '' || (text.length <= 7 && missingTokens.has(text.toLowerCase()));
}

const numberPattern = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number a cell holds, or NaN when it is not a plain decimal number (no 0x, no Infinity). */
export function parseNumber(text: string): number {
  const value = plainInteger(text, 0, text.length); // most cells of most files
  return Number.isNaN(value) ? (numberPattern.test(text) ? Number(text) : Number.NaN) : value;
}

/** The plain integer of up to 15 digits (optional minus) in `text[from, to)`, else NaN. */
export function plainInteger(text: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return Number.NaN;
  const negative = text.charCodeAt(from) === 45;
  let i = negative ? from + 1 : from;
  if (i >= to) return Number.NaN;
  let value = 0;
  for (; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

export interface Batch {
  rows: number;
  cells: string[];
}

export interface Records {
  /** header cells as written (trimmed) */
  headers: string[];
  /**
   * Batches of records, trimmed cells in header order, blank lines skipped.
   */
  batches(): AsyncIterable<Batch>;
  /**
   * CSV only: the decoded text in chunks of whole records after the header, for readers that
   * split quote-free text themselves (`parsedRecords` parses any chunk).
   */
  chunks?: () => AsyncIterable<{ text: string; firstRecord: number }>;
  close(): Promise<void>;
}

/**
 * Opens a table and checks that it has the `required` columns (at least one) (matched as the file reader matches
 * headers: case, spaces, `_` and `-` ignored). Refuses duplicated headers, which would make a
 * column ambiguous.
 */
export async function openRecords(file: string, required: string[]): Promise<Records> {
  const opened = await openTable(
    file,
    required.map((name) => ({ name, aliases: [], required: true })),
  ).catch((error: unknown) => {
    // the reader's "no header row" means here that none of the columns asked for is in it
    if (error instanceof HuikuanError && /none of the first row's cells/.test(error.message)) {
      throw new HuikuanError(
        'bad_file',
        `${file} lacks the required column${required.length > 1 ? 's' : ''} ${required.join(', ')}: no cell of its first row names ${required.length > 1 ? 'them' : 'it'}. Check the column name and that the first row holds the column names.`,
        { missing: required },
      );
    }
    throw error;
  });
  const headers = opened.info.headers;
  const seen = new Map<string, string>();
  for (const header of headers) {
    if (header === '') continue;
    const key = normaliseHeader(header);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      await opened.close();
      throw new HuikuanError(
        'bad_file',
        `${file}: the columns "${earlier}" and "${header}" have the same name. Rename one of them and try again.`,
      );
    }
    seen.set(key, header);
  }
  if (opened.info.format === 'xlsx') {
    await opened.close();
    return xlsxRecords(file, headers);
  }
  const encoding = opened.info.encoding ?? 'utf-8';
  const skip = opened.layout.headerRecord;
  await opened.close();
  const width = headers.length;
  async function* batches(): AsyncGenerator<Batch> {
    for await (const chunk of csvChunks(file, encoding, skip))
      yield parsedRecords(chunk.text, chunk.firstRecord, width);
  }
  return { headers, batches, chunks: () => csvChunks(file, encoding, skip), close: async () => {} };
}

/** The records of CSV text holding whole records, blank ones skipped, each padded or cut to `width`. */
export function parsedRecords(text: string, firstRecord: number, width: number): Batch {
  const parsed = parseCsvText(text, true, { row: firstRecord - 1 });
  const out: string[] = [];
  let rows = 0;
  for (const record of parsed.records) {
    const cells = record.cells;
    if (cells.length === 1 && (cells[0] as string).trim() === '') continue;
    if (cells.length !== width && cells.every((cell) => cell.trim() === '')) continue;
    for (let c = 0; c < width; c++) out.push((cells[c] ?? '').trim());
    rows++;
  }
  return { rows, cells: out };
}

/** `text.slice(from, to).trim()` without the intermediate string. */
export function trimmed(text: string, from: number, to: number): string {
  let a = from;
  let b = to;
  while (a < b && text.charCodeAt(a) <= 32) a++;
  while (b > a && text.charCodeAt(b - 1) <= 32) b--;
  return text.slice(a, b);
}

async function xlsxRecords(file: string, headers: string[]): Promise<Records> {
  const columns = headers
    .map((header, index) => ({ header, index }))
    .filter((c) => c.header !== '')
    .map((c) => ({ name: `c${c.index}`, aliases: [c.header], required: false }));
  const opened = await openTable(file, columns);
  const width = headers.length;
  async function* batches(): AsyncGenerator<Batch> {
    let batch: Batch = { rows: 0, cells: [] };
    for await (const row of opened.rows) {
      for (let i = 0; i < width; i++) batch.cells.push(row.values[`c${i}`] ?? '');
      batch.rows++;
      if (batch.rows >= 10_000) {
        yield batch;
        batch = { rows: 0, cells: [] };
      }
    }
    if (batch.rows > 0) yield batch;
  }
  return { headers, batches, close: () => opened.close() };
}

/** The index of `name` among `headers`, as the file reader matches names; -1 when absent. */
export function columnIndex(headers: string[], name: string): number {
  const exact = headers.indexOf(name);
  if (exact >= 0) return exact;
  const key = normaliseHeader(name);
  return headers.findIndex((header) => header !== '' && normaliseHeader(header) === key);
}

export interface Table {
  headers: string[];
  /** column-wise cells: columns[c][r] */
  columns: string[][];
  rows: number;
}

/** Reads a whole table into memory, column by column (for training). */
export async function readTable(file: string, required: string[]): Promise<Table> {
  const records = await openRecords(file, required);
  const columns: string[][] = records.headers.map(() => []);
  let rows = 0;
  try {
    const width = columns.length;
    for await (const batch of records.batches()) {
      for (let r = 0; r < batch.rows; r++) {
        for (let c = 0; c < width; c++) (columns[c] as string[]).push(batch.cells[r * width + c] ?? '');
      }
      rows += batch.rows;
    }
  } finally {
    await records.close();
  }
  return { headers: records.headers, columns, rows };
}
