/**
 * Payment file import (回款文件): read and validate the whole file, resolving account references in
 * bulk (one query per chunk), then hand the good rows to the ledger in chunks; report every bad row
 * (row, column, reason), every duplicate, and record the import in `payment_imports`.
 *
 * Order of work, so that a file is validated whole before anything is written to the books:
 *   1. read: each row checked on its own (model.ts), then per chunk one query for the accounts the
 *      chunk names and the amount checked in the account's currency; every row that passed the first
 *      check is written to the import's staging rows (payment_import_rows, migration 0011), so the
 *      process holds no state per row and memory stays flat in the file's size;
 *   2. repeats of an external id within the file found by one query on the staging rows (the first
 *      row stands; a repeat is a duplicate when its content is the same, else an error), then the
 *      reversal rows checked against the payments they reverse (in the books or earlier in the file);
 *   3. post the payments through the ledger straight from the staging rows, chunk by chunk (the
 *      ledger is idempotent by external id, so a re-run or a concurrent import of the same rows posts
 *      each once); then the reversals.
 */
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import { findClientByCode } from '../clients/service.ts';
import type { Database } from '../db/schema.ts';
import { writeErrorCsv } from '../files/error-report.ts';
import { openTable } from '../files/table.ts';
import { groupBy } from '../shared/collections.ts';
import { todayIn } from '../shared/dates.ts';
import { HuikuanError, isHuikuanError } from '../shared/errors.ts';
import { HeapBound } from '../shared/heap.ts';
import { parseAmount } from '../shared/money.ts';
import { type LedgerPort, ledgerPort } from './ledger-port.ts';
import {
  type AccountFacts,
  type CheckedRow,
  checkAccount,
  checkRow,
  paymentColumns,
  type RowError,
  resolveAmount,
} from './model.ts';
import { StageWriter } from './staging.ts';

export const importLimits = {
  /** Largest payment file accepted (bytes). */
  maxBytes: 512 * 1024 * 1024,
  /** Most data rows in one file; split larger files. */
  maxRows: 1_000_000,
  /**
   * Rows whose accounts are looked up in one query and then staged in one statement: small enough
   * that a chunk's row objects mostly die young instead of filling the old generation while they
   * wait for the database (peak RSS at 200,000 rows 381 MB with 10,000, 321 MB with 2,000).
   */
  lookupChunk: 5_000,
  /** Payments handed to the ledger at once (one transaction each). */
  postChunk: 20_000,
  /** Transactions posting at once, on disjoint sets of accounts. */
  postStreams: 2,
  /**
   * Growth of the heap in use while reading before a full collection (src/shared/heap.ts); null: none.
   * Off by default: in the server a full collection stalls every request and the heap holds other
   * requests' garbage too. The CLI, a process of its own, sets it (cli.ts: cliHeapSlackBytes).
   */
  heapSlackBytes: null as number | null,
};

/** The CLI's bound: peak RSS at 200,000 rows ≈ 300 MB instead of 400–450 (decision 0005's amendment). */
export const cliHeapSlackBytes = 64 * 1024 * 1024;

export interface ImportProgress {
  phase: 'reading' | 'posting' | 'reversing';
  done: number;
  total: number | null;
}

export interface ImportPaymentsOptions {
  filePath: string;
  clientCode: string;
  actor: string;
  /** The business date (payments dated later are refused); default today in Asia/Shanghai. */
  today?: string;
  limits?: Partial<typeof importLimits>;
  onProgress?: (progress: ImportProgress) => void;
  ledger?: LedgerPort;
}

export interface DuplicateRow {
  row: number;
  external_id: string;
  reason: string;
}

export interface ImportPaymentsResult {
  import_id: bigint;
  client: string;
  file: string;
  sha256: string;
  format: string;
  encoding: string | null;
  rows: number;
  posted: number;
  reversed: number;
  duplicates: number;
  rejected: number;
  /** Currency of the totals; null when the file touched accounts in several currencies (see by_currency). */
  currency: string | null;
  posted_total_minor: bigint;
  reversed_total_minor: bigint;
  commission_minor: bigint;
  by_currency: {
    currency: string;
    posted_total_minor: bigint;
    reversed_total_minor: bigint;
    commission_minor: bigint;
  }[];
  errors: RowError[];
  duplicate_rows: DuplicateRow[];
  error_file: string | null;
  /** Earlier imports of a file with the same content (sha256). */
  previous_imports: { import_id: bigint; at: Date; by: string }[];
  nothing_changed: boolean;
  /** Where the time went, in seconds: reading and validating the file, posting, reversing. */
  seconds: { read: number; post: number; reverse: number; total: number };
}

interface ReversalRow {
  row: CheckedRow;
  accountId: bigint;
  currency: string;
  amountMinor: bigint | null;
}

type Tally = { posted: bigint; reversed: bigint; commission: bigint };

export async function importPayments(
  db: Kysely<Database>,
  options: ImportPaymentsOptions,
): Promise<ImportPaymentsResult> {
  const stage = await StageWriter.open(db);
  try {
    return await importStaged(db, options, stage);
  } finally {
    await stage.discard();
  }
}

async function importStaged(
  db: Kysely<Database>,
  options: ImportPaymentsOptions,
  stage: StageWriter,
): Promise<ImportPaymentsResult> {
  const ledger = options.ledger ?? ledgerPort;
  const limits = { ...importLimits, postChunk: ledger.chunkSize, ...options.limits };
  const today = options.today ?? todayIn();
  const progress = options.onProgress ?? (() => {});
  const started = performance.now();
  const client = await findClientByCode(db, options.clientCode);
  const table = await openTable(options.filePath, paymentColumns, { maxBytes: limits.maxBytes });

  // ------------------------------------------------------------ 1. read and validate
  const errors: RowError[] = [];
  const rejectedRows = new Set<number>();
  const reject = (error: RowError) => {
    errors.push(error);
    rejectedRows.add(error.row);
  };
  const duplicateRows: DuplicateRow[] = [];
  // Refusals that need the account, by row, until the repeats within the file are known (a repeat is
  // reported as a repeat, not for its account); the reversal rows, by row (both a few per cent).
  const accountErrors = new Map<number, RowError>();
  const reversals = new Map<number, ReversalRow>();
  // chunks sized for the rows the file may hold, estimated from its size (a CSV payment row takes
  // at least about 48 bytes, a compressed XLSX row about 10): more rows than that make larger chunks
  stage.plan(
    limits.postStreams,
    limits.postChunk,
    table.info.byteSize / (table.info.format === 'xlsx' ? 10 : 48),
  );
  // the garbage of the rows read so far collected once it passes a bound, so peak memory follows
  // the chunk, not the file (src/shared/heap.ts)
  const heap = limits.heapSlackBytes === null ? null : new HeapBound(limits.heapSlackBytes);
  let rows = 0;
  let chunk: CheckedRow[] = [];

  // One query per chunk for the accounts it names. The query of a chunk runs while the next chunk
  // is read and checked; chunks are applied in file order.
  const lookup = (pending: CheckedRow[]) =>
    sql<{ id: bigint; ref: string; currency: string; status: string }>`
      SELECT id, client_account_ref AS ref, currency, status
        FROM accounts
       WHERE client_id = ${client.id} AND client_account_ref = ANY(${[...new Set(pending.map((r) => r.ref))]}::text[])
       ORDER BY id`.execute(db);
  const apply = (pending: CheckedRow[], found: Awaited<ReturnType<typeof lookup>>): Promise<void> => {
    const byRef = groupBy(
      found.rows,
      (a) => a.ref,
      (a): AccountFacts => ({ id: a.id, currency: a.currency, status: a.status }),
    );
    for (const row of pending) {
      const accounts = byRef.get(row.ref);
      if (row.reversesExternalId !== undefined) {
        // a reversal names the account of the payment it reverses, whatever the account's status now
        const account = accounts?.at(-1);
        stage.other(row, 'r');
        if (!account) {
          accountErrors.set(row.row, {
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
            accountErrors.set(row.row, { row: row.row, column: 'amount', reason: amount.reason });
            continue;
          }
          amountMinor = amount.minor;
        }
        reversals.set(row.row, {
          row,
          accountId: account.id,
          currency: row.currency ?? account.currency,
          amountMinor,
        });
        continue;
      }
      const account = checkAccount(row, accounts);
      if ('reason' in account) {
        accountErrors.set(row.row, account);
        stage.other(row, 'x');
        continue;
      }
      const amount = resolveAmount(row, account);
      if ('reason' in amount) {
        accountErrors.set(row.row, amount);
        stage.other(row, 'x');
        continue;
      }
      stage.payment(row, account, amount.minor);
    }
    return stage.flush();
  };

  let inflight: Promise<void> = Promise.resolve();
  const flush = async (pending: CheckedRow[]) => {
    await inflight;
    const query = lookup(pending);
    inflight = query.then((found) => apply(pending, found));
    // a failure surfaces at the next await of `inflight`, not as an unhandled rejection meanwhile
    inflight.catch(() => {});
  };

  for await (const { row, values } of table.rows) {
    rows++;
    if (rows > limits.maxRows) {
      throw new HuikuanError(
        'bad_file',
        `${options.filePath} has more than ${limits.maxRows.toLocaleString('en-US')} payment rows. Split it into smaller files; nothing was posted.`,
      );
    }
    const checked = checkRow(row, values, today);
    if (!checked.ok) {
      for (const error of checked.errors) reject(error);
    } else {
      chunk.push(checked.row);
    }
    if (chunk.length >= limits.lookupChunk) {
      await flush(chunk);
      chunk = [];
      heap?.check();
    }
    if (rows % 10_000 === 0) progress({ phase: 'reading', done: rows, total: null });
  }
  if (chunk.length > 0) await flush(chunk);
  await inflight;
  await stage.written;
  progress({ phase: 'reading', done: rows, total: rows });

  if (rows === 0) {
    throw new HuikuanError(
      'bad_file',
      `${options.filePath} has a header row but no payments. Nothing was posted.`,
    );
  }

  // ------------------------------------------------------------ 2. reversal rows
  for (const repeat of await stage.repeats()) {
    accountErrors.delete(repeat.row);
    reversals.delete(repeat.row);
    if (repeat.same) {
      duplicateRows.push({
        row: repeat.row,
        external_id: repeat.externalId,
        reason: `duplicate: the same payment as row ${repeat.firstRow}`,
      });
    } else {
      reject({
        row: repeat.row,
        column: 'external_id',
        reason: `external_id "${repeat.externalId}" is already used on row ${repeat.firstRow} for a different payment`,
      });
    }
  }
  for (const error of accountErrors.values()) reject(error);
  accountErrors.clear();
  const readyReversals = await checkReversals(
    db,
    client.id,
    [...reversals.values()],
    stage,
    reject,
    duplicateRows,
  );

  const readDone = performance.now();
  // ------------------------------------------------------------ 3. post
  const previous = await db
    .selectFrom('payment_imports')
    .select(['id', 'started_at', 'imported_by'])
    .where('client_id', '=', client.id)
    .where('file_sha256', '=', table.info.sha256)
    .where('status', '=', 'done')
    .orderBy('id')
    .execute();
  const record = await db
    .insertInto('payment_imports')
    .values({
      client_id: client.id,
      file_name: path.basename(options.filePath),
      file_sha256: table.info.sha256,
      file_format: table.info.format,
      file_encoding: table.info.encoding,
      byte_size: BigInt(table.info.byteSize),
      rows_total: rows,
      currency: null,
      error_file: null,
      failure: null,
      imported_by: options.actor,
      finished_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const source = `payment_import:${record.id}`;

  const tallies = new Map<string, Tally>();
  const tally = (currency: string) => {
    let t = tallies.get(currency);
    if (!t) {
      t = { posted: 0n, reversed: 0n, commission: 0n };
      tallies.set(currency, t);
    }
    return t;
  };
  let posted = 0;
  let reversed = 0;
  let postDone = readDone;
  try {
    // Accounts split into streams posted side by side (each account's payments stay in one stream,
    // in file order, so every account sees them serially; the ledger locks accounts in id order).
    let done = 0;
    const total = stage.payments;
    const postStream = async (stream: number, chunks: ReadonlySet<number>) => {
      for (const chunk of [...chunks].sort((a, b) => a - b)) {
        const outcome = await ledger.postStagedChunk(
          db,
          { stageId: stage.id, stream, chunk, clientId: client.id, source },
          options.actor,
        );
        for (const p of outcome.posted) {
          posted += p.count;
          done += p.count;
          const t = tally(p.currency);
          t.posted += p.amountMinor;
          t.commission += p.commissionMinor;
        }
        for (const row of outcome.notPosted) {
          done++;
          if (row.status === 'duplicate') {
            duplicateRows.push({
              row: row.row,
              external_id: row.externalId,
              reason: `duplicate: external_id "${row.externalId}" was posted before${row.reason ? ` (${row.reason})` : ''}`,
            });
          } else {
            reject({
              row: row.row,
              column: columnForLedgerReason(row.reason ?? undefined),
              reason: row.reason ?? 'refused by the ledger',
            });
          }
        }
        progress({ phase: 'posting', done, total });
      }
    };
    const settled = await Promise.allSettled(
      stage.chunksOf.map((chunks, stream) => postStream(stream, chunks)),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    postDone = performance.now();
    for (const [index, item] of readyReversals.entries()) {
      try {
        const outcome = await ledger.reverseEntry(db, {
          clientId: client.id,
          externalId: item.row.reversesExternalId as string,
          reason:
            item.row.reference ?? `returned payment (${path.basename(options.filePath)} row ${item.row.row})`,
          actor: options.actor,
          reversalExternalId: item.row.externalId,
          effectiveDate: item.row.paidOn,
        });
        if (outcome.status === 'duplicate') {
          duplicateRows.push({
            row: item.row.row,
            external_id: item.row.externalId,
            reason: `duplicate: payment "${item.row.reversesExternalId}" was reversed before`,
          });
        } else {
          reversed++;
          tally(item.currency).reversed += item.amountMinor ?? 0n;
        }
      } catch (error) {
        if (!isHuikuanError(error)) throw error;
        reject({ row: item.row.row, column: 'reverses_external_id', reason: error.message });
      }
      progress({ phase: 'reversing', done: index + 1, total: readyReversals.length });
    }
  } catch (error) {
    await db
      .updateTable('payment_imports')
      .set({
        status: 'failed',
        posted,
        reversed,
        failure: (error as Error).message.slice(0, 2000),
        finished_at: new Date(),
      })
      .where('id', '=', record.id)
      .execute();
    throw error;
  }

  // the staging rows go now, inside the import's time (the caller's `finally` covers a failure)
  await stage.discard();
  const reverseDone = performance.now();
  errors.sort((a, b) => a.row - b.row);
  duplicateRows.sort((a, b) => a.row - b.row);
  const errorFile = await writeErrorCsv(options.filePath, errors);
  const currencies = [...tallies.keys()].sort();
  const single = currencies.length === 1 ? (currencies[0] as string) : null;
  const only = single ? (tallies.get(single) as Tally) : null;
  const result: ImportPaymentsResult = {
    import_id: record.id,
    client: client.code,
    file: options.filePath,
    sha256: table.info.sha256,
    format: table.info.format,
    encoding: table.info.encoding,
    rows,
    posted,
    reversed,
    duplicates: duplicateRows.length,
    rejected: rejectedRows.size,
    currency: single,
    posted_total_minor: only?.posted ?? 0n,
    reversed_total_minor: only?.reversed ?? 0n,
    commission_minor: only?.commission ?? 0n,
    by_currency: currencies.map((currency) => {
      const t = tallies.get(currency) as Tally;
      return {
        currency,
        posted_total_minor: t.posted,
        reversed_total_minor: t.reversed,
        commission_minor: t.commission,
      };
    }),
    errors,
    duplicate_rows: duplicateRows,
    error_file: errorFile,
    previous_imports: previous.map((p) => ({ import_id: p.id, at: p.started_at, by: p.imported_by })),
    nothing_changed: posted === 0 && reversed === 0,
    seconds: {
      read: seconds(readDone - started),
      post: seconds(postDone - readDone),
      reverse: seconds(reverseDone - postDone),
      total: seconds(performance.now() - started),
    },
  };
  await db
    .updateTable('payment_imports')
    .set({
      status: 'done',
      posted,
      reversed,
      duplicates: result.duplicates,
      rejected: result.rejected,
      currency: single,
      posted_total_minor: result.posted_total_minor,
      reversed_total_minor: result.reversed_total_minor,
      commission_minor: result.commission_minor,
      error_file: errorFile,
      finished_at: new Date(),
    })
    .where('id', '=', record.id)
    .execute();
  return result;
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

function columnForLedgerReason(reason: string | undefined): string {
  if (!reason) return 'client_account_ref';
  if (/currenc/i.test(reason)) return 'currency';
  if (/amount/i.test(reason)) return 'amount';
  if (/date|paid/i.test(reason)) return 'paid_at';
  return 'client_account_ref';
}

/**
 * Checks reversal rows against the payments they name: in the books already, or accepted earlier
 * in this file. Returns the rows to post; rejects or marks duplicate the others.
 */
async function checkReversals(
  db: Kysely<Database>,
  clientId: bigint,
  reversals: ReversalRow[],
  stage: StageWriter,
  reject: (error: RowError) => void,
  duplicateRows: DuplicateRow[],
): Promise<ReversalRow[]> {
  if (reversals.length === 0) return [];
  const originalsIds = [...new Set(reversals.map((r) => r.row.reversesExternalId as string))];
  const ownIds = reversals.map((r) => r.row.externalId);
  const originals = await sql<{
    id: bigint;
    external_id: string;
    account_id: bigint | null;
    kind: string;
    amount_minor: bigint | null;
    reversed_by: string | null;
  }>`
    SELECT je.id, je.external_id, je.account_id, je.kind,
           (SELECT sum(p.amount_minor) FROM postings p
             WHERE p.entry_id = je.id AND p.ledger_account IN ('trust:bank', 'client:direct_paid'))::int8 AS amount_minor,
           (SELECT coalesce(r.external_id, '#' || r.id::text) FROM journal_entries r
             WHERE r.reverses_entry_id = je.id LIMIT 1) AS reversed_by
      FROM journal_entries je
     WHERE je.client_id = ${clientId} AND je.external_id = ANY(${originalsIds}::text[])`.execute(db);
  const used = await sql<{ external_id: string; reverses: string | null }>`
    SELECT je.external_id, o.external_id AS reverses
      FROM journal_entries je LEFT JOIN journal_entries o ON o.id = je.reverses_entry_id
     WHERE je.client_id = ${clientId} AND je.external_id = ANY(${ownIds}::text[])`.execute(db);
  const byExternal = new Map(originals.rows.map((o) => [o.external_id, o]));
  const usedBy = new Map(used.rows.map((u) => [u.external_id, u.reverses]));
  const inFile = await stage.paymentsNamed(originalsIds);
  const ready: ReversalRow[] = [];
  const claimed = new Map<string, number>();
  for (const item of reversals) {
    const { row } = item;
    const target = row.reversesExternalId as string;
    if (usedBy.has(row.externalId)) {
      if (usedBy.get(row.externalId) === target) {
        duplicateRows.push({
          row: row.row,
          external_id: row.externalId,
          reason: `duplicate: reversal "${row.externalId}" of "${target}" was posted before`,
        });
      } else {
        reject({
          row: row.row,
          column: 'external_id',
          reason: `external_id "${row.externalId}" is already used by another entry`,
        });
      }
      continue;
    }
    const original = byExternal.get(target);
    const fromFile = inFile.get(target);
    let accountId: bigint | null;
    let amount: bigint | null;
    if (original) {
      if (original.kind !== 'payment' && original.kind !== 'direct_payment') {
        reject({ row: row.row, column: 'reverses_external_id', reason: `"${target}" is not a payment` });
        continue;
      }
      if (original.reversed_by !== null) {
        reject({
          row: row.row,
          column: 'reverses_external_id',
          reason: `payment "${target}" was already reversed by "${original.reversed_by}"`,
        });
        continue;
      }
      accountId = original.account_id;
      amount = original.amount_minor;
    } else if (fromFile !== undefined) {
      accountId = fromFile.accountId;
      amount = fromFile.amountMinor;
    } else {
      reject({
        row: row.row,
        column: 'reverses_external_id',
        reason: `no payment "${target}" for this client to reverse`,
      });
      continue;
    }
    const earlier = claimed.get(target);
    if (earlier !== undefined) {
      reject({
        row: row.row,
        column: 'reverses_external_id',
        reason: `payment "${target}" is already reversed on row ${earlier}`,
      });
      continue;
    }
    if (accountId !== item.accountId) {
      reject({
        row: row.row,
        column: 'client_account_ref',
        reason: `payment "${target}" was not made on account "${row.ref}"`,
      });
      continue;
    }
    if (item.amountMinor !== null && amount !== null && item.amountMinor !== amount) {
      reject({
        row: row.row,
        column: 'amount',
        reason: `"${row.amountText}" differs from the amount of payment "${target}"; a reversal returns the whole payment`,
      });
      continue;
    }
    claimed.set(target, row.row);
    ready.push({ ...item, amountMinor: amount });
  }
  return ready;
}
