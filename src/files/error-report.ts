/**
 * The error file beside an imported file: `<input>.errors.csv`, one line per problem (row, column,
 * reason), UTF-8 with a BOM so Excel opens the Chinese text correctly.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';

export interface RowError {
  row: number;
  column: string;
  reason: string;
}

export function errorCsvPath(inputPath: string): string {
  return `${inputPath}.errors.csv`;
}

/** Writes the error file and returns its path; with no errors removes a stale one and returns null. */
export async function writeErrorCsv(inputPath: string, errors: RowError[]): Promise<string | null> {
  const target = errorCsvPath(inputPath);
  if (errors.length === 0) {
    await rm(target, { force: true });
    return null;
  }
  const temporary = `${target}.${process.pid}.tmp`;
  const out = createWriteStream(temporary, { encoding: 'utf8' });
  try {
    out.write('\uFEFFrow,column,reason\r\n');
    let chunk = '';
    for (const error of errors) {
      chunk += `${error.row},${csvCell(error.column)},${csvCell(error.reason)}\r\n`;
      if (chunk.length > 65_536) {
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        chunk = '';
      }
    }
    out.end(chunk);
    await finished(out);
    await rename(temporary, target);
  } catch (error) {
    out.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
  return target;
}

function csvCell(text: string): string {
  // a leading =, +, - or @ would be run as a formula by Excel
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) || safe !== text ? `"${safe.replaceAll('"', '""')}"` : safe;
}
