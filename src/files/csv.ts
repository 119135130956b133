/**
 * The CSV record parser on its own, free of the XLSX reader's weight, so worker threads that only
 * parse CSV text (the placement import's) load nothing else.
 */
import { HuikuanError } from '../shared/errors.ts';

export interface RawRecord {
  row: number;
  cells: string[];
}

/**
 * Parses the complete records in `text`; without `final`, a record running to the end of the text
 * is left unconsumed (its rest is in the next chunk).
 */
export function parseCsvText(
  text: string,
  final: boolean,
  state: { row: number },
  maxRecords = Number.POSITIVE_INFINITY,
): { records: RawRecord[]; consumed: number } {
  const records: RawRecord[] = [];
  const length = text.length;
  let position = 0;
  outer: while (position < length && records.length < maxRecords) {
    const cells: string[] = [];
    let i = position;
    for (;;) {
      let cell: string;
      if (text.charCodeAt(i) === 34 /* " */) {
        let value = '';
        let from = i + 1;
        for (;;) {
          const quote = text.indexOf('"', from);
          if (quote < 0) {
            if (!final) break outer;
            throw new HuikuanError(
              'bad_file',
              `The CSV file has a quoted cell that is never closed (row ${state.row + 1}). Check its quotes, or save it again as CSV UTF-8.`,
            );
          }
          if (text.charCodeAt(quote + 1) === 34) {
            value += text.slice(from, quote + 1);
            from = quote + 2;
            continue;
          }
          if (quote + 1 >= length && !final) break outer;
          value += text.slice(from, quote);
          i = quote + 1;
          break;
        }
        // text after the closing quote up to the separator is kept (lenient)
        const start = i;
        while (i < length) {
          const c = text.charCodeAt(i);
          if (c === 44 || c === 10 || c === 13) break;
          i++;
        }
        cell = i > start ? value + text.slice(start, i) : value;
      } else {
        const start = i;
        while (i < length) {
          const c = text.charCodeAt(i);
          if (c === 44 || c === 10 || c === 13) break;
          i++;
        }
        cell = text.slice(start, i);
      }
      cells.push(cell);
      if (i >= length) {
        if (!final) break outer;
        break;
      }
      const c = text.charCodeAt(i);
      if (c === 44 /* , */) {
        i++;
        if (i >= length) {
          if (!final) break outer;
          cells.push('');
          break;
        }
        continue;
      }
      // a line break ends the record: \n, \r\n or a lone \r
      if (c === 13) {
        if (i + 1 >= length && !final) break outer;
        i += text.charCodeAt(i + 1) === 10 ? 2 : 1;
      } else i++;
      break;
    }
    state.row++;
    records.push({ row: state.row, cells });
    position = i;
  }
  return { records, consumed: position };
}

/**
 * Where `parseCsvText(text, final, …)` would stop and how many records it would read, without
 * building the cells (a chunk's boundary is found in the reading thread; the cells are built by
 * whoever parses the chunk). The same grammar step by step; a quoted cell never closed in a final
 * text is left to parseCsvText, which says so.
 */
export function scanCsvText(text: string, final: boolean): { records: number; consumed: number } {
  const length = text.length;
  let records = 0;
  let position = 0;
  outer: while (position < length) {
    let i = position;
    for (;;) {
      if (text.charCodeAt(i) === 34 /* " */) {
        let from = i + 1;
        for (;;) {
          const quote = text.indexOf('"', from);
          if (quote < 0) {
            if (!final) break outer;
            const { records: parsed, consumed } = parseCsvText(text, final, { row: 0 });
            return { records: parsed.length, consumed };
          }
          if (text.charCodeAt(quote + 1) === 34) {
            from = quote + 2;
            continue;
          }
          if (quote + 1 >= length && !final) break outer;
          i = quote + 1;
          break;
        }
      }
      while (i < length) {
        const c = text.charCodeAt(i);
        if (c === 44 || c === 10 || c === 13) break;
        i++;
      }
      if (i >= length) {
        if (!final) break outer;
        break;
      }
      const c = text.charCodeAt(i);
      if (c === 44 /* , */) {
        i++;
        if (i >= length) {
          if (!final) break outer;
          break;
        }
        continue;
      }
      if (c === 13) {
        if (i + 1 >= length && !final) break outer;
        i += text.charCodeAt(i + 1) === 10 ? 2 : 1;
      } else i++;
      break;
    }
    records++;
    position = i;
  }
  return { records, consumed: position };
}
