/**
 * Turning a placement file's rows into `COPY` text for `placement_rows`: map each record's cells to
 * the canonical columns, validate, seal the ID number and phones (AES-256-GCM and keyed hash), and
 * write the good rows as COPY text-format lines; the bad rows come back as errors.
 *
 * It works on a chunk of rows at a time and holds nothing between chunks, so it runs the same in
 * the importing thread (small files) and in worker threads (load-worker.ts), several chunks at once.
 * Duplicates within the file are not looked for here: each chunk returns the references of its bad
 * rows, and the import finds duplicates set-based once every row is staged.
 */
import { maskIdNumber, maskPhone, type PiiCipher } from '../accounts/pii.ts';
import { parseCsvText } from '../files/csv.ts';
import { mapRecord } from '../files/records.ts';
import type { TableRow } from '../files/table.ts';
import { type PlacementValues, type RowContext, validatePlacementRow } from './model.ts';

export interface LoadSetup {
  batchId: string;
  /** canonical column name → index of its cell in a record */
  positions: Array<[string, number]>;
  /** every canonical column name (absent ones read as '') */
  columnNames: string[];
  /** data row number = record number + rowOffset (the header is row 1) */
  rowOffset: number;
  context: RowContext;
}

/** A chunk: CSV text of whole records with the number of its first record, or rows already mapped. */
export type LoadChunk = { text: string; firstRecord: number } | { rows: TableRow[] };

export interface ChunkError {
  row: number;
  column: string;
  reason: string;
}

export interface ChunkResult {
  /** COPY text-format lines of the good rows, UTF-8 */
  copy: Uint8Array;
  /** rows read (blank rows are not rows) */
  rows: number;
  copied: number;
  rejected: number;
  /** the bad rows' errors, in row order */
  errors: ChunkError[];
  /** [row, reference] of each bad row with a reference: a later row with it is a duplicate */
  badRefs: Array<[number, string]>;
  /** the good rows by currency: how many, and their placed total in minor units */
  totals: Array<{ currency: string; accounts: number; total: bigint }>;
}

export const stagingColumns = [
  'batch_id',
  'row_number',
  'client_account_ref',
  'debtor_name',
  'id_number_enc',
  'id_number_hash',
  'id_number_masked',
  'date_of_birth',
  'phone_1_enc',
  'phone_1_hash',
  'phone_1_masked',
  'phone_2_enc',
  'phone_2_hash',
  'phone_2_masked',
  'phone_3_enc',
  'phone_3_hash',
  'phone_3_masked',
  'email',
  'address',
  'city',
  'region',
  'postal_code',
  'country',
  'product_type',
  'original_creditor',
  'currency',
  'principal_minor',
  'interest_minor',
  'fees_minor',
  'penalty_minor',
  'delinquency_date',
  'charge_off_date',
  'last_payment_date',
  'last_payment_amount_minor',
  'open_date',
  'notes',
];

const encoder = new TextEncoder();

export function loadChunk(chunk: LoadChunk, setup: LoadSetup, cipher: PiiCipher): ChunkResult {
  const result: ChunkResult = {
    copy: new Uint8Array(0),
    rows: 0,
    copied: 0,
    rejected: 0,
    errors: [],
    badRefs: [],
    totals: [],
  };
  const good: Array<{ row: number; values: PlacementValues }> = [];
  const pii: string[] = [];
  if ('text' in chunk) {
    const { records } = parseCsvText(chunk.text, true, { row: chunk.firstRecord - 1 });
    for (const record of records) {
      const values = mapRecord(record.cells, setup.positions, setup.columnNames);
      if (values !== null) checkRow(record.row + setup.rowOffset, values, setup, result, good, pii);
    }
  } else {
    for (const row of chunk.rows) checkRow(row.row, row.values, setup, result, good, pii);
  }
  if (good.length > 0) {
    result.copy = encoder.encode(copyLines(`${setup.batchId}\t`, good, cipher.sealHex(pii)));
  }
  return result;
}

function checkRow(
  row: number,
  values: Record<string, string>,
  setup: LoadSetup,
  result: ChunkResult,
  good: Array<{ row: number; values: PlacementValues }>,
  pii: string[],
): void {
  result.rows++;
  const checked = validatePlacementRow(values, setup.context);
  if (!checked.ok) {
    result.rejected++;
    for (const error of checked.errors)
      result.errors.push({ row, column: error.column, reason: error.reason });
    const ref = values.client_account_ref ?? '';
    if (ref !== '') result.badRefs.push([row, ref]);
    return;
  }
  good.push({ row, values: checked.row });
  const placed = checked.row.principal + checked.row.interest + checked.row.fees + checked.row.penalty;
  let sum = result.totals.find((entry) => entry.currency === checked.row.currency);
  if (sum === undefined) {
    sum = { currency: checked.row.currency, accounts: 0, total: 0n };
    result.totals.push(sum);
  }
  sum.accounts++;
  sum.total += placed;
  if (checked.row.idNumber !== null) pii.push(checked.row.idNumber);
  for (const phone of checked.row.phones) pii.push(phone);
  result.copied++;
}

const nullField = '\\N';
const specials = /[\\\n\r\t]/;

function text(value: string | null): string {
  if (value === null) return nullField;
  if (!specials.test(value)) return value;
  return value.replace(/[\\\n\r\t]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t',
  );
}

function sealedField(sealed: string[], at: number): string {
  return `\\\\x${sealed[at]}\t\\\\x${sealed[at + 1]}`;
}

/**
 * COPY text-format lines of validated rows; `sealed` holds [ciphertext hex, hash hex] for each ID
 * number and phone of the rows, in order.
 */
function copyLines(
  prefix: string,
  rows: Array<{ row: number; values: PlacementValues }>,
  sealed: string[],
): string {
  // One flat string by join: a `+=` chain is a rope that has to be flattened before encoding.
  const out: string[] = new Array(rows.length);
  let next = 0;
  for (let r = 0; r < rows.length; r++) {
    const { row: rowNumber, values: row } = rows[r] as { row: number; values: PlacementValues };
    let idFields = '\\N\t\\N\t\\N';
    if (row.idNumber !== null) {
      idFields = `${sealedField(sealed, next)}\t${maskIdNumber(row.idNumber)}`;
      next += 2;
    }
    let phoneFields = '';
    for (let i = 0; i < 3; i++) {
      const phone = row.phones[i];
      if (phone === undefined) phoneFields += '\t\\N\t\\N\t\\N';
      else {
        phoneFields += `\t${sealedField(sealed, next)}\t${maskPhone(phone)}`;
        next += 2;
      }
    }
    out[r] =
      `${prefix}${rowNumber}\t${text(row.ref)}\t${text(row.debtorName)}\t${idFields}\t${row.dateOfBirth ?? nullField}` +
      `${phoneFields}\t${text(row.email)}\t${text(row.address)}\t${text(row.city)}\t${text(row.region)}` +
      `\t${text(row.postalCode)}\t${row.country ?? nullField}\t${row.productType ?? nullField}` +
      `\t${text(row.originalCreditor)}\t${row.currency}\t${row.principal}\t${row.interest}\t${row.fees}` +
      `\t${row.penalty}\t${row.delinquencyDate}\t${row.chargeOffDate ?? nullField}` +
      `\t${row.lastPaymentDate ?? nullField}\t${row.lastPaymentAmount ?? nullField}\t${row.openDate ?? nullField}` +
      `\t${text(row.notes)}\n`;
  }
  return out.join('');
}
