/**
 * Reading a payment file chunk by chunk, the part that needs no database: parse the chunk's
 * records, check each row on its own (model.ts), and — once the importing thread has looked up the
 * accounts the chunk names — check each row against its account and build the chunk's staging
 * columns (payment_import_rows, staging.ts) as separated text.
 *
 * It runs the same in the importing thread (small files) and in worker threads (read-worker.ts) for
 * large ones, several chunks at once, so that parsing and checking use every core while the
 * importing thread only looks up accounts and writes staging rows (decision 0005's second amendment).
 * A reader keeps a chunk's checked rows between its two steps and nothing after them.
 */
import { type EncodedColumn, encodeColumn } from '../db/columns.ts';
import { parseCsvText } from '../files/csv.ts';
import { mapRecord } from '../files/records.ts';
import type { TableRow } from '../files/table.ts';
import { parseAmount } from '../shared/money.ts';
import {
  type AccountFacts,
  type CheckedRow,
  checkAccount,
  checkRow,
  fingerprint,
  type RowError,
  resolveAmount,
} from './model.ts';

export interface ReadSetup {
  /** canonical column name → index of its cell in a record */
  positions: Array<[string, number]>;
  /** every canonical column name (absent ones read as '') */
  columnNames: string[];
  /** data row number = record number + rowOffset (the header is row 1) */
  rowOffset: number;
  /** the business date: payments dated later are refused */
  today: string;
  /** the import's staging rows (staging.ts) */
  stageId: string;
  /** how payments are split for posting (staging.ts `plan`) */
  streams: number;
  chunks: number;
}

/** A chunk of the file: CSV text of whole records with the number of its first record, or rows already mapped. */
export type ReadChunk = { text: string; firstRecord: number } | { rows: TableRow[] };

export interface CheckResult {
  /** data rows read (blank rows are not rows) */
  rows: number;
  /** the errors of the rows that failed the checks needing no account */
  errors: RowError[];
  /** the account references the other rows name, each once (null: none) */
  refs: EncodedColumn | null;
}

/**
 * The accounts with the chunk's references, in id order, as the lookup answers them: a JSON array of
 * [id, reference, currency, status] (one text for the importing thread to pass on, not decoded there).
 */
export type FoundAccounts = string;

/** A reversal row with its account (checked against the payment it reverses once the file is read). */
export interface ReversalFacts {
  row: CheckedRow;
  accountId: bigint;
  currency: string;
  amountMinor: bigint | null;
}

export interface StageResult {
  /** rows in the columns */
  staged: number;
  /** the rows as COPY text of payment_import_rows (stage id, then `stagingColumns`), UTF-8 */
  copy: Uint8Array;
  /** payments to post among them */
  payments: number;
  /** per stream, the chunk numbers its payments fell to */
  chunks: number[][];
  /** refusals that needed the account (a repeat of an earlier row's external id is reported as that instead) */
  accountErrors: RowError[];
  reversals: ReversalFacts[];
}

/** payment_import_rows' columns after the stage id, in the order of the staging COPY text. */
export const stagingColumns = [
  'row_number',
  'external_id',
  'fingerprint',
  'status',
  'account_id',
  'amount_minor',
  'currency',
  'paid_on',
  'paid_at',
  'channel',
  'payer_name',
  'reference',
  'stream',
  'chunk',
];

/** Most chunks a reader holds between their two steps (the importing thread keeps fewer in flight). */
const maxHeld = 64;

export class ChunkReader {
  readonly #held = new Map<number, CheckedRow[]>();

  constructor(private readonly setup: ReadSetup) {}

  /** Step 1: parse the chunk and check its rows on their own; the good rows are kept under `id`. */
  check(id: number, chunk: ReadChunk): CheckResult {
    if (this.#held.size >= maxHeld) throw new Error(`a payment reader holds ${maxHeld} chunks already`);
    const result: CheckResult = { rows: 0, errors: [], refs: null };
    const good: CheckedRow[] = [];
    const refs = new Set<string>();
    const checkOne = (row: number, values: Record<string, string>) => {
      result.rows++;
      const checked = checkRow(row, values, this.setup.today);
      if (!checked.ok) {
        for (const error of checked.errors) result.errors.push(error);
        return;
      }
      good.push(checked.row);
      refs.add(checked.row.ref);
    };
    if ('text' in chunk) {
      const { records } = parseCsvText(chunk.text, true, { row: chunk.firstRecord - 1 });
      for (const record of records) {
        const values = mapRecord(record.cells, this.setup.positions, this.setup.columnNames);
        if (values !== null) checkOne(record.row + this.setup.rowOffset, values);
      }
    } else {
      for (const row of chunk.rows) checkOne(row.row, row.values);
    }
    if (refs.size > 0) result.refs = encodeColumn([...refs]);
    this.#held.set(id, good);
    return result;
  }

  /** Step 2: the rows of chunk `id` against their accounts, as staging columns. */
  stage(id: number, found: FoundAccounts): StageResult {
    const rows = this.#held.get(id);
    this.#held.delete(id);
    if (rows === undefined) throw new Error(`no payment chunk ${id} was checked here`);
    const columns = new StagingRows(this.setup.stageId, this.setup.streams, this.setup.chunks);
    const byRef = new Map<string, StagedAccount[]>();
    for (const [accountId, ref, currency, status] of JSON.parse(found) as [
      string,
      string,
      string,
      string,
    ][]) {
      const facts = columns.account(accountId, currency, status);
      const list = byRef.get(ref);
      if (list) list.push(facts);
      else byRef.set(ref, [facts]);
    }
    const accountErrors: RowError[] = [];
    const reversals: ReversalFacts[] = [];
    for (const row of rows) {
      const accounts = byRef.get(row.ref);
      if (row.reversesExternalId !== undefined) {
        // a reversal names the account of the payment it reverses, whatever the account's status now
        const account = accounts?.at(-1);
        columns.other(row, 'r');
        if (!account) {
          accountErrors.push({
            row: row.row,
            column: 'client_account_ref',
            reason: `no account "${row.ref}" for this client`,
          });
          continue;
        }
        let amountMinor: bigint | null = null;
        if (row.amountText !== '') {
          const amount = parseAmount(row.amountText, row.currency ?? account.currency);
          if (!amount.ok) {
            accountErrors.push({ row: row.row, column: 'amount', reason: amount.reason });
            continue;
          }
          amountMinor = amount.minor;
        }
        reversals.push({
          row,
          accountId: account.id,
          currency: row.currency ?? account.currency,
          amountMinor,
        });
        continue;
      }
      const account = checkAccount(row, accounts);
      if ('reason' in account) {
        accountErrors.push(account);
        columns.other(row, 'x');
        continue;
      }
      const amount = resolveAmount(row, account);
      if ('reason' in amount) {
        accountErrors.push(amount);
        columns.other(row, 'x');
        continue;
      }
      columns.payment(row, account as StagedAccount, amount.minor);
    }
    return {
      staged: rows.length,
      copy: columns.encode(),
      payments: columns.payments,
      chunks: columns.chunksOf.map((set) => [...set]),
      accountErrors,
      reversals,
    };
  }
}

/** An account as staging needs it: its facts, its id as text, where its payments are posted. */
interface StagedAccount extends AccountFacts {
  idText: string;
  stream: number;
  chunk: number;
}

const needsEscape = /[\\\t\n\r]/;
const escapes = /[\\\t\n\r]/g;
const escaped: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value in COPY's text format: \N for null; backslash, tab and line breaks escaped. */
function copyText(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  return needsEscape.test(value) ? value.replace(escapes, (c) => escaped[c] as string) : value;
}

/**
 * A chunk's staging rows as COPY text (in `stagingColumns` order, after the stage id). Payments are
 * split into `streams` by account (each account's payments in one stream, in file order, so streams
 * can be posted side by side) and each stream into `chunks` by account too: all of an account's
 * payments are posted by one statement (decision 0005's amendment).
 */
class StagingRows {
  payments = 0;
  readonly chunksOf: Set<number>[] = [];
  readonly #streams: bigint;
  readonly #chunks: bigint;
  readonly #prefix: string;
  // The rows written as UTF-8 as they are made. Appending to one string and encoding it at the end
  // built a rope of thousands of pieces that the encoder flattened and walked again: that and the
  // garbage it left were half of the second step's time (a 200,000-row file: 0.95 s → 0.55 s).
  // Never a slice of Node's shared pool: a worker hands the buffer over rather than copying it.
  #bytes = Buffer.allocUnsafeSlow(64 * 1024);
  #length = 0;

  constructor(stageId: string, streams: number, chunks: number) {
    this.#prefix = `${stageId}\t`;
    this.#streams = BigInt(Math.max(1, streams));
    this.#chunks = BigInt(Math.max(1, chunks));
    for (let i = 0; i < Math.max(1, streams); i++) this.chunksOf.push(new Set());
  }

  /** An account the chunk names, with the stream and chunk its payments are posted in. */
  account(idText: string, currency: string, status: string): StagedAccount {
    const id = BigInt(idText);
    const stream = Number(id % this.#streams);
    return { id, idText, currency, status, stream, chunk: Number((id / this.#streams) % this.#chunks) };
  }

  /** A payment that passed every check, to post. */
  payment(row: CheckedRow, account: StagedAccount, amountMinor: bigint): void {
    const { stream, chunk } = account;
    this.chunksOf[stream]?.add(chunk);
    this.payments++;
    this.#append(
      `${this.#head(row, 'p')}\t${account.idText}\t${amountMinor}\t${account.currency}\t${row.paidOn}\t${row.paidAt ?? '\\N'}\t${row.channel}\t${copyText(row.payerName)}\t${copyText(row.reference)}\t${stream}\t${chunk}\n`,
    );
  }

  /** A reversal row ('r') or a row refused by a check that needs its account ('x'). */
  other(row: CheckedRow, status: 'r' | 'x'): void {
    this.#append(`${this.#head(row, status)}\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n`);
  }

  #head(row: CheckedRow, status: string): string {
    return `${this.#prefix}${row.row}\t${copyText(row.externalId)}\t${copyText(fingerprint(row))}\t${status}`;
  }

  #append(text: string): void {
    // room for the worst case, three bytes a UTF-16 unit, so that the write never cuts a row short
    const needed = this.#length + text.length * 3;
    if (needed > this.#bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.#bytes.length * 2, needed));
      this.#bytes.copy(grown, 0, 0, this.#length);
      this.#bytes = grown;
    }
    this.#length += this.#bytes.write(text, this.#length, 'utf8');
  }

  /** The rows as UTF-8 COPY text. */
  encode(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }
}

/** A request to a reader (in a worker thread: read-worker.ts). */
export type ReadRequest =
  | { step: 'check'; id: number; chunk: ReadChunk }
  | { step: 'stage'; id: number; found: FoundAccounts };

export function answer(reader: ChunkReader, request: ReadRequest): CheckResult | StageResult {
  return request.step === 'check'
    ? reader.check(request.id, request.chunk)
    : reader.stage(request.id, request.found);
}
