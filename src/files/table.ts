/**
 * Reading agencies' files: CSV (UTF-8, UTF-8 with BOM, GB18030/GBK as Excel in China saves it) and
 * XLSX (first worksheet), streamed so memory stays flat in the file's size, with the header row
 * mapped to canonical column names through each column's English and Chinese aliases.
 *
 * `openTable` first reads the file once (hash, binary and encoding checks), then reads the header
 * row; anything that makes the file unusable as a whole is refused there with a `bad_file` error
 * before the caller sees a single row.
 */

import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { HuikuanError } from '../shared/errors.ts';
import { parseCsvText, type RawRecord, scanCsvText } from './csv.ts';
import { mapRecord } from './records.ts';

export { parseCsvText } from './csv.ts';
export { mapRecord } from './records.ts';

export interface ColumnSpec {
  name: string;
  /** English and Chinese headers, matched case-insensitively after trimming. */
  aliases: string[];
  required: boolean;
}

export interface TableInfo {
  format: 'csv' | 'xlsx';
  encoding: string | null;
  sha256: string;
  byteSize: number;
  headers: string[];
  /** header as written in the file → canonical column name */
  mapped: Record<string, string>;
  unknownHeaders: string[];
}

export interface TableRow {
  /** The row number a spreadsheet user sees: header = 1, first data row = 2. */
  row: number;
  /** canonical name → trimmed cell text, '' when empty */
  values: Record<string, string>;
}

export const defaultMaxBytes = 2 * 1024 ** 3;

export interface OpenedTable {
  info: TableInfo;
  rows: AsyncIterable<TableRow>;
  /**
   * How the header maps the file, for readers of raw records (`csvChunks`): the column of each
   * canonical name, and the record number of the header row (data row numbers are record numbers
   * + 1 − headerRecord, so that the header is row 1).
   */
  layout: { positions: Array<[string, number]>; headerRecord: number };
  /** Releases the file when `rows` is not read to its end. */
  close(): Promise<void>;
}

export async function openTable(
  filePath: string,
  columns: ColumnSpec[],
  options: { maxBytes?: number } = {},
): Promise<OpenedTable> {
  const maxBytes = options.maxBytes ?? defaultMaxBytes;
  let size: number;
  try {
    const stats = await stat(filePath);
    if (!stats.isFile()) throw new Error('not a regular file');
    size = stats.size;
  } catch (error) {
    throw new HuikuanError(
      'bad_file',
      `Cannot read ${filePath}: ${(error as Error).message}. Check the path and that the file is readable.`,
    );
  }
  if (size === 0) {
    throw new HuikuanError(
      'bad_file',
      `${filePath} is empty. Export the file again with its header row and data.`,
    );
  }
  if (size > maxBytes) {
    throw new HuikuanError(
      'bad_file',
      `${filePath} is ${formatBytes(size)}, over the limit of ${formatBytes(maxBytes)}. Split it into smaller files.`,
    );
  }
  const head = await readHead(filePath, 8);
  const format = sniffFormat(filePath, head);
  const scan = await scanFile(filePath, format);
  const records = format === 'xlsx' ? xlsxRecords(filePath) : csvRecords(filePath, scan.encoding ?? 'utf-8');
  const iterator = records[Symbol.asyncIterator]();
  let first: IteratorResult<RawRecord>;
  try {
    do {
      first = await iterator.next();
    } while (!first.done && first.value.cells.every((cell) => cell.trim() === ''));
  } catch (error) {
    await iterator.return?.(undefined);
    throw asBadFile(error, filePath, format);
  }
  if (first.done) {
    throw new HuikuanError(
      'bad_file',
      `${filePath} has no header row. The first row must name the columns (for example ${exampleHeaders(columns)}).`,
    );
  }
  const headerRecord = first.value;
  const mapping = mapHeaders(headerRecord.cells, columns, filePath);
  const info: TableInfo = {
    format,
    encoding: scan.encoding,
    sha256: scan.sha256,
    byteSize: size,
    headers: mapping.headers,
    mapped: mapping.mapped,
    unknownHeaders: mapping.unknown,
  };
  const headerRow = headerRecord.row;
  const rows: AsyncIterable<TableRow> = {
    [Symbol.asyncIterator]: () => dataRows(iterator, mapping.positions, columns, filePath, format, headerRow),
  };
  return {
    info,
    rows,
    layout: { positions: mapping.positions, headerRecord: headerRow },
    close: async () => {
      await iterator.return?.(undefined);
    },
  };
}

async function* dataRows(
  iterator: AsyncIterator<RawRecord>,
  positions: Array<[string, number]>,
  columns: ColumnSpec[],
  filePath: string,
  format: 'csv' | 'xlsx',
  headerRow: number,
): AsyncGenerator<TableRow> {
  const offset = 1 - headerRow; // the header is row 1 whatever blank rows preceded it
  const names = columns.map((column) => column.name);
  try {
    for (;;) {
      let next: IteratorResult<RawRecord>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw asBadFile(error, filePath, format);
      }
      if (next.done) return;
      const { cells, row } = next.value;
      const values = mapRecord(cells, positions, names);
      if (values !== null) yield { row: row + offset, values };
    }
  } finally {
    await iterator.return?.(undefined);
  }
}

// ------------------------------------------------------------------ header mapping

export function normaliseHeader(text: string): string {
  return text
    .replace(/^\uFEFF/, '')
    .replace(/[\u3000\s]+/g, ' ')
    .trim()
    .toLowerCase()
    .replace(/[ _-]+/g, '_')
    .replace(/[*＊]+$/, '');
}

function mapHeaders(
  cells: string[],
  columns: ColumnSpec[],
  filePath: string,
): {
  headers: string[];
  mapped: Record<string, string>;
  unknown: string[];
  positions: Array<[string, number]>;
} {
  const byAlias = new Map<string, string>();
  for (const column of columns) {
    byAlias.set(normaliseHeader(column.name), column.name);
    for (const alias of column.aliases) byAlias.set(normaliseHeader(alias), column.name);
  }
  const headers = cells.map((cell) => cell.replace(/^\uFEFF/, '').trim());
  const mapped: Record<string, string> = {};
  const unknown: string[] = [];
  const positions: Array<[string, number]> = [];
  const seen = new Map<string, string>();
  headers.forEach((header, index) => {
    if (header === '') return;
    const name = byAlias.get(normaliseHeader(header));
    if (name === undefined) {
      unknown.push(header);
      return;
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw new HuikuanError(
        'bad_file',
        `${filePath}: the columns "${earlier}" and "${header}" both mean ${name}. Keep one of them and import again.`,
      );
    }
    seen.set(name, header);
    mapped[header] = name;
    positions.push([name, index]);
  });
  if (positions.length === 0) {
    throw new HuikuanError(
      'bad_file',
      `${filePath} has no header row: none of the first row's cells names a known column. The first row must name the columns (for example ${exampleHeaders(columns)}).`,
    );
  }
  const missing = columns.filter((column) => column.required && !seen.has(column.name));
  if (missing.length > 0) {
    throw new HuikuanError(
      'bad_file',
      `${filePath} lacks the required column${missing.length > 1 ? 's' : ''} ${missing.map(describeColumn).join(', ')}. Add ${missing.length > 1 ? 'them' : 'it'} to the header row (English or Chinese name) and import again.`,
      { missing: missing.map((column) => column.name) },
    );
  }
  return { headers, mapped, unknown, positions };
}

/** `client_account_ref (客户账号 / 案件编号)`: the canonical name with its Chinese headers. */
export function describeColumn(column: ColumnSpec): string {
  const chinese = column.aliases.filter((alias) => /[^\p{ASCII}]/u.test(alias));
  return chinese.length > 0 ? `${column.name} (${chinese.join(' / ')})` : column.name;
}

function exampleHeaders(columns: ColumnSpec[]): string {
  return columns
    .filter((column) => column.required)
    .map(describeColumn)
    .join(', ');
}

// ------------------------------------------------------------------ sniffing and scanning

async function readHead(filePath: string, length: number): Promise<Buffer> {
  const handle = await open(filePath, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function sniffFormat(filePath: string, head: Buffer): 'csv' | 'xlsx' {
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'xlsx';
  if (head.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) {
    throw new HuikuanError(
      'bad_file',
      `${filePath} is an old Excel .xls (or other OLE) file. Save it as .xlsx or as CSV (UTF-8) and import again.`,
    );
  }
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new HuikuanError(
      'bad_file',
      `${filePath} is UTF-16 text. Save it as CSV UTF-8 (or GB18030) and import again.`,
    );
  }
  return 'csv';
}

interface Scan {
  sha256: string;
  encoding: string | null;
}

/**
 * One pass over the file: its SHA-256 and, for CSV, a refusal of binary content (NUL bytes) and the
 * encoding: valid UTF-8 (with or without BOM) is UTF-8; anything else must decode as GB18030.
 */
async function scanFile(filePath: string, format: 'csv' | 'xlsx'): Promise<Scan> {
  const hash = createHash('sha256');
  let validUtf8 = format === 'csv';
  let pending: Buffer = Buffer.alloc(0);
  let bom = false;
  let firstChunk = true;
  let offset = 0;
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    if (format === 'csv') {
      if (firstChunk && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) bom = true;
      firstChunk = false;
      const nul = chunk.indexOf(0);
      if (nul >= 0) {
        throw new HuikuanError(
          'bad_file',
          `${filePath} is not a text file (binary content at byte ${offset + nul}). Import a CSV or XLSX file.`,
        );
      }
      if (validUtf8) {
        const bytes = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
        const complete = completeUtf8Length(bytes);
        validUtf8 = isUtf8(bytes.subarray(0, complete));
        pending = Buffer.from(bytes.subarray(complete));
      }
    }
    offset += chunk.length;
  }
  if (format === 'xlsx') return { sha256: hash.digest('hex'), encoding: null };
  if (pending.length > 0) validUtf8 = false;
  const sha256 = hash.digest('hex');
  if (validUtf8) return { sha256, encoding: bom ? 'utf-8-bom' : 'utf-8' };
  if (bom) {
    throw new HuikuanError(
      'bad_file',
      `${filePath} starts with a UTF-8 byte-order mark but is not valid UTF-8. Save it again as CSV UTF-8 and import again.`,
    );
  }
  await checkGb18030(filePath);
  return { sha256, encoding: 'gb18030' };
}

/** The length of the prefix of `bytes` that holds no UTF-8 sequence cut off by the end of the chunk. */
function completeUtf8Length(bytes: Buffer): number {
  let i = bytes.length - 1;
  let continuation = 0;
  while (i >= 0 && continuation < 3 && ((bytes[i] ?? 0) & 0xc0) === 0x80) {
    i--;
    continuation++;
  }
  if (i < 0) return bytes.length;
  const lead = bytes[i] ?? 0;
  const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return bytes.length - i < needed ? i : bytes.length;
}

async function checkGb18030(filePath: string): Promise<void> {
  const decoder = iconv.getDecoder('gb18030');
  let line = 1;
  const refuse = () => {
    throw new HuikuanError(
      'bad_file',
      `${filePath} is neither UTF-8 nor GB18030/GBK text (undecodable bytes near line ${line}). Save it as CSV UTF-8 and import again.`,
    );
  };
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const text = decoder.write(chunk);
    const bad = text.indexOf('\uFFFD');
    if (bad >= 0) {
      line += countNewlines(text, bad);
      refuse();
    }
    line += countNewlines(text, text.length);
  }
  const rest = decoder.end() ?? '';
  if (rest.includes('\uFFFD')) refuse();
}

function countNewlines(text: string, end: number): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

// ------------------------------------------------------------------ CSV

/**
 * CSV records (RFC 4180 with the usual leniencies: CRLF or LF, quoted cells with "" escapes and line
 * breaks, a stray quote inside an unquoted cell kept as text), decoded chunk by chunk so memory stays
 * flat. Hand-written because a general parser cost about 20 µs a row, most of an import's budget.
 */
async function* csvRecords(filePath: string, encoding: string): AsyncGenerator<RawRecord> {
  const source = createReadStream(filePath, { highWaterMark: 1 << 20 });
  const decoder: { write(chunk: Buffer): string; end(): string | undefined } =
    encoding === 'gb18030' ? iconv.getDecoder('gb18030') : new StringDecoder('utf8');
  const state = { row: 0 };
  let carry = '';
  let first = true;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      let text = carry + decoder.write(chunk);
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      const parsed = parseCsvText(text, false, state);
      carry = text.slice(parsed.consumed);
      yield* parsed.records;
    }
    let text = carry + (decoder.end() ?? '');
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.length > 0) yield* parseCsvText(text, true, state).records;
  } finally {
    source.destroy();
  }
}

/** Decoded CSV text holding whole records only, and the record number of its first record. */
export interface CsvChunk {
  text: string;
  /** 1-based record number (as `parseCsvText` counts) of the chunk's first record */
  firstRecord: number;
  /** how many records the text holds */
  records: number;
}

/**
 * The CSV file as decoded text in chunks of whole records, after its first `skipRecords` records
 * (the header): for parsing elsewhere (worker threads), each chunk numbered so that
 * `parseCsvText(chunk.text, true, { row: chunk.firstRecord - 1 })` numbers its records as a reading
 * of the whole file would. Record boundaries are found by counting line breaks when a chunk holds no
 * quote and no lone carriage return, and by parsing it otherwise.
 */
export async function* csvChunks(
  filePath: string,
  encoding: string,
  skipRecords: number,
  chunkBytes = 1 << 20,
): AsyncGenerator<CsvChunk> {
  const source = createReadStream(filePath, { highWaterMark: chunkBytes });
  const decoder: { write(chunk: Buffer): string; end(): string | undefined } =
    encoding === 'gb18030' ? iconv.getDecoder('gb18030') : new StringDecoder('utf8');
  let carry = '';
  let first = true;
  let skip = skipRecords;
  let record = 0;
  const take = (text: string, final: boolean): CsvChunk | null => {
    let body = text;
    if (skip > 0) {
      const skipped = parseCsvText(body, final, { row: 0 }, skip);
      record += skipped.records.length;
      skip -= skipped.records.length;
      body = body.slice(skipped.consumed);
      if (skip > 0) {
        carry = body;
        return null;
      }
    }
    const cut = recordBoundary(body, final);
    carry = body.slice(cut.consumed);
    if (cut.records === 0) return null;
    const chunk = { text: body.slice(0, cut.consumed), firstRecord: record + 1, records: cut.records };
    record += cut.records;
    return chunk;
  };
  try {
    for await (const bytes of source as AsyncIterable<Buffer>) {
      let text = carry + decoder.write(bytes);
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      const chunk = take(text, false);
      if (chunk) yield chunk;
    }
    let text = carry + (decoder.end() ?? '');
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.length > 0) {
      const chunk = take(text, true);
      if (chunk) yield chunk;
    }
  } finally {
    source.destroy();
  }
}

/** Where the last whole record of `text` ends, and how many records come before that. */
function recordBoundary(text: string, final: boolean): { consumed: number; records: number } {
  if (text.indexOf('"') < 0) {
    const lastBreak = text.lastIndexOf('\n');
    const end = final ? text.length : lastBreak + 1;
    let plain = true;
    for (let cr = text.indexOf('\r'); cr >= 0 && cr < end; cr = text.indexOf('\r', cr + 1)) {
      if (text.charCodeAt(cr + 1) !== 10) {
        plain = false;
        break;
      }
    }
    if (plain) {
      let records = 0;
      for (let nl = text.indexOf('\n'); nl >= 0 && nl < end; nl = text.indexOf('\n', nl + 1)) records++;
      if (final && end > lastBreak + 1) records++;
      return { consumed: end, records };
    }
  }
  return scanCsvText(text, final);
}

// ------------------------------------------------------------------ XLSX

async function* xlsxRecords(filePath: string): AsyncGenerator<RawRecord> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(filePath, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  for await (const worksheet of reader) {
    for await (const row of worksheet as AsyncIterable<ExcelJS.Row>) {
      const values = row.values as unknown[];
      const cells: string[] = [];
      for (let i = 1; i < values.length; i++) cells.push(cellText(values[i]));
      yield { row: row.number, cells };
    }
    return; // the first worksheet only
  }
}

/** The text form of an XLSX cell value, in the forms formats.md accepts. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return dateText(value);
  if (typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (Array.isArray(object.richText)) {
      return (object.richText as Array<{ text?: string }>).map((part) => part.text ?? '').join('');
    }
    if ('result' in object) return cellText(object.result);
    if ('formula' in object || 'sharedFormula' in object) return '';
    if (typeof object.text === 'string') return object.text;
    if (object.text !== undefined) return cellText(object.text);
    if ('error' in object) return String(object.error);
  }
  return String(value);
}

/**
 * Numbers as Excel shows them at most: 15 significant digits, so binary float noise
 * (0.30000000000000004) disappears and 12345.67 reads "12345.67"; never an exponent.
 */
export function numberText(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return BigInt(value).toString();
  const rounded = Number(value.toPrecision(15));
  const text = String(rounded);
  if (!/e/i.test(text)) return text;
  return rounded.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

/** Excel dates arrive as UTC midnight (plus a time of day for date-times). */
function dateText(date: Date): string {
  if (Number.isNaN(date.getTime())) return '';
  const day = date.toISOString().slice(0, 10);
  const time = date.toISOString().slice(11, 19);
  return time === '00:00:00' ? day : `${day} ${time}`;
}

function asBadFile(error: unknown, filePath: string, format: 'csv' | 'xlsx'): unknown {
  if (error instanceof HuikuanError) return error;
  const message = (error as Error)?.message ?? String(error);
  return new HuikuanError(
    'bad_file',
    format === 'xlsx'
      ? `${filePath} cannot be read as an XLSX workbook (${message}). Open it in Excel and save it again as .xlsx or CSV UTF-8.`
      : `${filePath} cannot be read as CSV (${message}). Check its quotes and separators, or save it again as CSV UTF-8.`,
    undefined,
    { cause: error },
  );
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${bytes} bytes`;
}
